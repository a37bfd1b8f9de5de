package org.kombu4j.amqp;

import com.rabbitmq.client.ConfirmListener;
import com.rabbitmq.client.ReturnListener;
import com.rabbitmq.client.ShutdownSignalException;
import java.util.Arrays;
import org.kombu4j.transport.OutgoingMessage;

/**
 * Tracks the publisher confirms and returns of one AMQP channel: per publish ({@link PublisherConfirms},
 * {@code confirm_publish=true}) or in a window ({@link ConfirmWindow}, {@code confirm_publish=async}).
 */
interface ConfirmTracker extends ConfirmListener, ReturnListener {

    /** What the broker said of the publishes a confirm names. */
    enum Verdict {
        /** {@code basic.ack}: taken (or, for a returned mandatory message, routed nowhere). */
        ACK,
        /** {@code basic.nack}: refused (an internal error or a queue limit). */
        NACK
    }

    /** Settles the publish with sequence number {@code deliveryTag}, and with {@code multiple} every older one. */
    void settle(long deliveryTag, boolean multiple, Verdict verdict);

    /** Forgets a registered publish that was not sent, or whose caller stopped waiting for it. */
    void forget(long seq);

    /** The AMQP channel closed: every unconfirmed publish failed, and waiters wake up. */
    void channelClosed(ShutdownSignalException cause);

    @Override
    default void handleAck(long deliveryTag, boolean multiple) {
        settle(deliveryTag, multiple, Verdict.ACK);
    }

    @Override
    default void handleNack(long deliveryTag, boolean multiple) {
        settle(deliveryTag, multiple, Verdict.NACK);
    }

    /**
     * Whether a {@code basic.return} is of {@code message}. A return carries no sequence number, so it
     * is matched by exchange, routing key and body, which keeps the wire untouched (no marker header
     * Kombu would see); RabbitMQ sends it before the same message's {@code basic.ack}.
     */
    static boolean isReturnOf(OutgoingMessage message, String exchange, String routingKey, byte[] body) {
        return message.mandatory() && message.exchange().equals(exchange) && message.routingKey().equals(routingKey)
                && Arrays.equals(message.content().body(), body);
    }
}
