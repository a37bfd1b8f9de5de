/**
 * The {@code memory://} transport: an in-process broker, the embedded default, on the virtual
 * transport. Consumers wake on arrival, never by polling.
 */
@NullMarked
package org.kombu4j.transport.memory;

import org.jspecify.annotations.NullMarked;
