package org.kombu4j.transport;

import java.util.Set;
import org.kombu4j.ExchangeType;

/**
 * What a transport can do, so that callers and the conformance suite adapt instead of guessing.
 *
 * @param exchangeTypes the exchange types it routes
 * @param priorityOrder what a priority number means
 * @param priorityNeedsMaxPriority whether a queue must be declared with {@code x-max-priority} for priorities to apply
 * @param canListQueues whether {@link TransportChannel#listQueues()} works
 * @param fanoutIsDurable whether fanout messages wait in queues for absent consumers (false on Redis pub/sub)
 */
public record TransportCapabilities(Set<ExchangeType> exchangeTypes, PriorityOrder priorityOrder,
        boolean priorityNeedsMaxPriority, boolean canListQueues, boolean fanoutIsDurable) {
}
