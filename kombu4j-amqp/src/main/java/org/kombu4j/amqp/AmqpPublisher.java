package org.kombu4j.amqp;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ShutdownSignalException;
import java.io.IOException;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.kombu4j.EncodeException;
import org.kombu4j.OperationalException;
import org.kombu4j.UnroutableException;
import org.kombu4j.hub.Ticker;
import org.kombu4j.transport.OutgoingMessage;

/**
 * Publishes for one {@link AmqpChannel} in the URL's {@code confirm_publish} mode: fire-and-forget,
 * waiting for each publish's confirm ({@link PublisherConfirms}), or tracking confirms in a window
 * whose failures a later publish, {@link #flush} or close reports ({@link ConfirmWindow}).
 */
final class AmqpPublisher {
    private final AmqpOptions options;
    private final Ticker ticker;
    // Guards replacing the AMQP channel (by the owner) and keeps sequence number + basic.publish atomic.
    private final Object lock;
    private final Supplier<LiveChannel> live;
    // confirm_publish=async: failures not yet reported, kept across replaced AMQP channels.
    private final ConfirmWindow.Failures failures = new ConfirmWindow.Failures();

    /**
     * @param lock the owner's lock, under which it replaces the AMQP channel
     * @param live the open AMQP channel, replacing one a channel error closed
     */
    AmqpPublisher(AmqpOptions options, Ticker ticker, Object lock, Supplier<LiveChannel> live) {
        this.options = options;
        this.ticker = ticker;
        this.lock = lock;
        this.live = live;
    }

    /** Puts a fresh AMQP channel in the confirm mode of the URL, with a new tracker. */
    LiveChannel attach(Channel ch, long generation) throws IOException {
        PublisherConfirms confirms = null;
        ConfirmWindow window = null;
        ConfirmTracker tracker;
        switch (options.confirmMode()) {
            case SYNC:
                tracker = confirms = new PublisherConfirms();
                break;
            case ASYNC:
                tracker = window = new ConfirmWindow(options.confirmWindow(), options.confirmTimeout(), failures,
                        ch.getChannelNumber(), ticker);
                break;
            default:
                return new LiveChannel(ch, generation, null, null);
        }
        ch.confirmSelect();
        ch.addConfirmListener(tracker);
        ch.addReturnListener(tracker);
        return new LiveChannel(ch, generation, confirms, window);
    }

    void publish(OutgoingMessage message) {
        AMQP.BasicProperties props = AmqpProperties.toAmqp(message.content());
        if (options.confirmMode() == AmqpOptions.ConfirmMode.ASYNC) {
            publishAsync(message, props);
            return;
        }
        LiveChannel l;
        long seq;
        CompletableFuture<PublisherConfirms.Result> confirm = null;
        synchronized (lock) {
            l = live.get();
            seq = l.channel().getNextPublishSeqNo();
            PublisherConfirms c = l.confirms();
            if (c != null) {
                confirm = c.register(seq, message);
            }
            send(l, seq, message, props);
        }
        if (confirm != null) {
            awaitConfirm(what(message), l, seq, confirm);
        }
    }

    /** confirm_publish=async: register in the window (blocking while full), send, return. */
    private void publishAsync(OutgoingMessage message, AMQP.BasicProperties props) {
        synchronized (lock) {
            // Earlier failures first, even if the channel or connection is gone by now.
            failures.throwIfAny("this message was not published");
            LiveChannel l = live.get();
            long seq = l.channel().getNextPublishSeqNo();
            Objects.requireNonNull(l.window()).register(seq, message, null);
            send(l, seq, message, props);
        }
    }

    /**
     * Sends without waiting for the confirm; the future settles with it. With {@code confirm_publish=false}
     * nothing is confirmed, so the future is complete once the message is written.
     */
    CompletableFuture<Void> publishTracked(OutgoingMessage message) {
        AMQP.BasicProperties props = AmqpProperties.toAmqp(message.content());
        String what = what(message);
        CompletableFuture<Void> outcome = new CompletableFuture<>();
        synchronized (lock) {
            LiveChannel l = live.get();
            long seq = l.channel().getNextPublishSeqNo();
            PublisherConfirms c = l.confirms();
            ConfirmWindow w = l.window();
            if (c != null) {
                c.register(seq, message).whenComplete((r, e) -> {
                    RuntimeException failed = e != null ? AmqpErrors.map(what, e) : failure(what, r);
                    if (failed == null) {
                        outcome.complete(null);
                    } else {
                        outcome.completeExceptionally(failed);
                    }
                });
            } else if (w != null) {
                failures.throwIfAny("this message was not published");
                w.register(seq, message, outcome);
            } else {
                outcome.complete(null);
            }
            send(l, seq, message, props);
        }
        return outcome;
    }

    /** Sends a registered publish; on failure its tracker forgets it. Under the lock. */
    private static void send(LiveChannel l, long seq, OutgoingMessage message, AMQP.BasicProperties props) {
        ConfirmTracker tracker = l.tracker();
        try {
            l.channel().basicPublish(message.exchange(), message.routingKey(), message.mandatory(), props,
                    message.content().body());
        } catch (IOException | ShutdownSignalException e) {
            forget(tracker, seq);
            throw AmqpErrors.map(what(message), e);
        } catch (IllegalArgumentException e) {
            // The client refuses header values it cannot encode as AMQP field values.
            forget(tracker, seq);
            throw new EncodeException("cannot " + what(message) + ": " + e.getMessage(), e);
        }
    }

    private static void forget(@Nullable ConfirmTracker tracker, long seq) {
        if (tracker != null) {
            tracker.forget(seq);
        }
    }

    private static String what(OutgoingMessage message) {
        return "publish to exchange '" + message.exchange() + "' with routing key '" + message.routingKey() + "'";
    }

    /**
     * confirm_publish=async: waits until every publish so far on this channel is confirmed or failed
     * (each at most {@code confirm_timeout}), then throws {@link PublishNotConfirmedException} if any
     * failed since the last report. A no-op in the other modes, where publish already reported each.
     */
    void flush(LiveChannel l) {
        ConfirmWindow w = l.window();
        if (w != null) {
            w.awaitSettled();
        }
        failures.throwIfAny("reported by flush");
    }

    /**
     * Before closing: waits for the outstanding confirms as {@link #flush} does.
     *
     * @return what {@link ConfirmWindow#awaitSettled()} threw, for the owner to throw after closing
     */
    @Nullable RuntimeException settleBeforeClose(LiveChannel l) {
        ConfirmWindow w = l.window();
        if (w != null && l.channel().isOpen()) {
            try {
                w.awaitSettled();
            } catch (RuntimeException e) {
                return e;
            }
        }
        return null;
    }

    /** Throws the failures not reported yet (confirm_publish=async), once. */
    void throwFailures(String doing) {
        failures.throwIfAny(doing);
    }

    private void awaitConfirm(String what, LiveChannel l, long seq, CompletableFuture<PublisherConfirms.Result> confirm) {
        PublisherConfirms.Result r;
        try {
            r = confirm.get(options.confirmTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            forget(l.confirms(), seq);
            throw new OperationalException("cannot " + what + ": no publisher confirm within "
                    + options.confirmTimeout().toMillis() + " ms (option confirm_timeout); the broker may or may not"
                    + " have taken the message", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OperationalException("interrupted while waiting for the confirm to " + what, e);
        } catch (ExecutionException e) {
            throw AmqpErrors.map(what, e.getCause() == null ? e : e.getCause());
        }
        RuntimeException failed = failure(what, r);
        if (failed != null) {
            throw failed;
        }
    }

    /** Why a publish failed, or null if it was confirmed. */
    private static @Nullable RuntimeException failure(String what, PublisherConfirms.Result r) {
        switch (r.outcome()) {
            case CONFIRMED:
                return null;
            case RETURNED:
                return new UnroutableException("cannot " + what + ": no queue is bound to take the mandatory message ("
                        + r.detail() + ")");
            case NACKED:
                return new OperationalException("cannot " + what + ": " + r.detail());
            default:
                ShutdownSignalException cause = r.cause();
                return cause != null ? AmqpErrors.map(what, cause)
                        : new OperationalException("cannot " + what + ": channel closed");
        }
    }
}
