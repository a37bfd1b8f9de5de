/**
 * The transport SPI: what a broker module implements ({@link org.kombu4j.transport.TransportFactory},
 * {@link org.kombu4j.transport.Transport}, {@link org.kombu4j.transport.TransportChannel}) and the message shapes
 * that cross it, and what every transport shares ({@link org.kombu4j.transport.EventInbox}: running events on
 * the draining or the Hub thread). Modules register their factory with {@link java.util.ServiceLoader}.
 */
@NullMarked
package org.kombu4j.transport;

import org.jspecify.annotations.NullMarked;
