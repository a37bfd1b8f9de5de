package org.kombu4j.transport.memory;

import org.kombu4j.testkit.WorkerContract;

/** {@code memory://} passes the worker contract. */
class MemoryWorkerContractTest extends WorkerContract {
    @Override
    protected String url() {
        return "memory://worker-contract";
    }
}
