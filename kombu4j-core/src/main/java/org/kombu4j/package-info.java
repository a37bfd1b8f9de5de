/**
 * kombu4j's API: {@link org.kombu4j.Connection} to a broker, {@link org.kombu4j.Exchange}, {@link org.kombu4j.Queue}
 * and {@link org.kombu4j.Binding} values, {@link org.kombu4j.Producer} to publish, {@link org.kombu4j.Consumer} to
 * receive {@link org.kombu4j.Message}s, {@link org.kombu4j.SimpleQueue}, {@link org.kombu4j.EventLoop},
 * {@link org.kombu4j.ConsumerLoop}, {@link org.kombu4j.Worker} (handlers on a bounded pool, graceful stop), pools and
 * {@link org.kombu4j.RetryPolicy}. Start at {@link org.kombu4j.Connection#open(String)}.
 * Every exception is an unchecked {@link org.kombu4j.KombuException}.
 */
@NullMarked
package org.kombu4j;

import org.jspecify.annotations.NullMarked;
