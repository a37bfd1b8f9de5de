/**
 * {@code kombu4j monitor}: a small web server on the JDK's {@code com.sun.net.httpserver} that samples the
 * broker's queues once a second ({@link org.kombu4j.transport.TransportChannel#queueStats()}), keeps a few
 * minutes of history in memory, and serves a live page (server-sent events, inline SVG charts, no asset from
 * another host), {@code /api/queues} (JSON) and {@code /metrics} (Prometheus text format).
 */
@NullMarked
package org.kombu4j.cli.monitor;

import org.jspecify.annotations.NullMarked;
