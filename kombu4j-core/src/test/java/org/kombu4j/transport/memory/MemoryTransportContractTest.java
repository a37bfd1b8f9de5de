package org.kombu4j.transport.memory;

import org.kombu4j.testkit.TransportContract;

/** {@code memory://} passes the transport contract. */
class MemoryTransportContractTest extends TransportContract {
    @Override
    protected String url() {
        return "memory://contract";
    }
}
