package org.kombu4j.amqp;

import com.rabbitmq.client.Channel;
import org.jspecify.annotations.Nullable;

/**
 * The AMQP channel currently behind one {@link AmqpChannel}, with what belongs to it: its generation
 * (how many channels a channel error replaced before it) and the confirm tracker of the URL's
 * {@code confirm_publish} mode, at most one of which is set.
 */
record LiveChannel(Channel channel, long generation, @Nullable PublisherConfirms confirms,
        @Nullable ConfirmWindow window) {

    /** The confirm tracker, or null with {@code confirm_publish=false}. */
    @Nullable ConfirmTracker tracker() {
        return confirms != null ? confirms : window;
    }
}
