package org.kombu4j.transport;

/** What a message priority number means on a transport (WIRE.md §4, §10). */
public enum PriorityOrder {
    /** Priorities are not honoured. */
    NONE,
    /** A lower number is consumed first (Kombu's Redis transport). */
    LOWER_FIRST,
    /** A higher number is consumed first (AMQP, with {@code x-max-priority} on the queue). */
    HIGHER_FIRST
}
