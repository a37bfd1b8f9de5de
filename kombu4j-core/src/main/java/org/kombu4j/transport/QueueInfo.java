package org.kombu4j.transport;

/** What a broker says of a queue: its name, ready messages and consumers (-1 where unknown). */
public record QueueInfo(String name, long messageCount, int consumerCount) {
}
