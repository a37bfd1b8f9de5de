package org.kombu4j.amqp;

import org.jspecify.annotations.Nullable;
import org.kombu4j.KombuException;

/**
 * Earlier publishes on a channel with asynchronous publisher confirms ({@code confirm_publish=async})
 * were nacked, returned unroutable, not confirmed within {@code confirm_timeout}, or lost with their
 * channel. Thrown, once per batch of failures, by the channel's next {@code publish} (whose own
 * message is then <em>not</em> sent), by {@link AmqpTransport#flush} and by closing the connection.
 *
 * <p>It is deliberately not an {@link org.kombu4j.OperationalException}: retrying the call that
 * reports it would not bring the failed messages back, and the connection is still usable. Publish
 * those messages again if they matter (which ones is not known: the broker does not say).
 */
public final class PublishNotConfirmedException extends KombuException {
    private static final long serialVersionUID = 1L;

    private final int failed;

    PublishNotConfirmedException(String message, int failed, @Nullable Throwable cause) {
        super(message, cause);
        this.failed = failed;
    }

    /** How many publishes failed since the previous report. */
    public int failedCount() {
        return failed;
    }
}
