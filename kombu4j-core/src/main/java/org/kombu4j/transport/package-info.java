/**
 * The transport SPI: what a broker module implements ({@link org.kombu4j.transport.TransportFactory},
 * {@link org.kombu4j.transport.Transport}, {@link org.kombu4j.transport.TransportChannel}) and the message shapes
 * that cross it. Modules register their factory with {@link java.util.ServiceLoader}.
 */
@NullMarked
package org.kombu4j.transport;

import org.jspecify.annotations.NullMarked;
