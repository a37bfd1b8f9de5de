package org.kombu4j.amqp;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.ShutdownSignalException;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.kombu4j.OperationalException;
import org.kombu4j.hub.Ticker;
import org.kombu4j.transport.OutgoingMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asynchronous publisher confirms of one AMQP channel ({@code confirm_publish=async}): a publish
 * registers its sequence number and returns as soon as the message is written; the broker's
 * {@code basic.ack}/{@code basic.nack} settle it later on the client's connection thread. At most
 * {@code window} publishes (by sequence number, oldest unsettled to newest) may be outstanding;
 * {@link #register} blocks when the window is full, as the RabbitMQ PerfTest's confirm pool does.
 *
 * <p>Nothing is dropped silently: a nack, a mandatory message returned unroutable, a confirm that does
 * not arrive within {@code confirm_timeout}, or a channel that closes with publishes unconfirmed is
 * recorded in the channel's {@link Failures}, and the channel's next {@code publish} (before sending
 * anything), its {@code flush} or its {@code close} throws {@link PublishNotConfirmedException}.
 *
 * <p>Bookkeeping is a ring of slots indexed by sequence number, guarded by one lock that the
 * publisher holds only to fill a slot and the connection thread only to clear slots: no allocation
 * per publish except for mandatory messages, whose content is kept to match a {@code basic.return}.
 */
final class ConfirmWindow implements ConfirmTracker {
    private static final Logger log = LoggerFactory.getLogger(ConfirmWindow.class);

    /** An in-flight publish whose content is not needed: not mandatory, no caller waiting for its outcome. */
    private static final Object IN_FLIGHT = new Object();

    /**
     * An in-flight publish that is mandatory (its content, to match a {@code basic.return}) or whose
     * caller holds a future for its outcome ({@link AmqpPublisher#publishTracked}); a failure of the latter
     * goes to that future, not to the channel's {@link Failures}.
     */
    private static final class Tracked {
        final OutgoingMessage message;
        final @Nullable CompletableFuture<Void> outcome;
        @Nullable String returnedBecause;

        Tracked(OutgoingMessage message, @Nullable CompletableFuture<Void> outcome) {
            this.message = message;
            this.outcome = outcome;
        }

        /** Completes the caller's future with {@code failure}; false if nobody waits (count it in Failures). */
        boolean fail(String why) {
            if (outcome == null) {
                return false;
            }
            outcome.completeExceptionally(new PublishNotConfirmedException("cannot publish to exchange '"
                    + message.exchange() + "' with routing key '" + message.routingKey() + "': " + why, 1, null));
            return true;
        }
    }

    /** Fails a slot's caller future if it has one; true if so (the failure is then reported there). */
    private static boolean failTracked(Object slot, String why) {
        return slot instanceof Tracked && ((Tracked) slot).fail(why);
    }

    /**
     * Failed publishes not yet reported to a caller. Shared by the successive windows of one kombu4j
     * channel, so a failure on an AMQP channel that a channel error replaced is still reported.
     */
    static final class Failures {
        private volatile int count;
        private @Nullable String first;
        private @Nullable Throwable firstCause;

        synchronized void add(int n, String why, @Nullable Throwable cause) {
            if (n <= 0) {
                return;
            }
            if (first == null) {
                first = why;
                firstCause = cause;
            }
            count += n;
        }

        /** Throws, once, what failed since the last report; {@code after} says what the caller was doing. */
        void throwIfAny(String doing) {
            String why;
            int n;
            Throwable cause;
            if (count == 0) {
                return;
            }
            synchronized (this) {
                if (count == 0) {
                    return;
                }
                why = first;
                n = count;
                cause = firstCause;
                count = 0;
                first = null;
                firstCause = null;
            }
            throw new PublishNotConfirmedException(n + (n == 1 ? " earlier publish" : " earlier publishes")
                    + " on this channel failed (confirm_publish=async): " + why + "; " + doing, n, cause);
        }

        int pending() {
            return count;
        }
    }

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition settled = lock.newCondition();
    private final int window;
    private final long timeoutNanos;
    private final Object[] slots;
    private final long[] sentAt;
    private final int mask;
    private final Failures failures;
    private final int channelNumber;
    // Decides when a confirm is overdue; tests advance a fake one instead of sleeping.
    private final Ticker ticker;
    // [base, next): every sequence number that may still be unsettled; base == next when none.
    private long base = -1;
    private long next = -1;
    private int outstanding;
    private @Nullable ShutdownSignalException shutdown;

    ConfirmWindow(int window, Duration timeout, Failures failures, int channelNumber, Ticker ticker) {
        this.window = window;
        this.ticker = ticker;
        this.timeoutNanos = timeout.toNanos();
        int capacity = Integer.highestOneBit(Math.max(1, window - 1)) << 1;
        this.slots = new Object[capacity];
        this.sentAt = new long[capacity];
        this.mask = capacity - 1;
        this.failures = failures;
        this.channelNumber = channelNumber;
    }

    /**
     * Registers the publish about to be sent with sequence number {@code seq} (the channel's next),
     * waiting while the window is full. Call under the channel's publish lock, before basicPublish.
     *
     * @throws PublishNotConfirmedException if earlier publishes failed, or the window stayed full past
     *     {@code confirm_timeout}; this message is then not registered and must not be sent
     */
    void register(long seq, OutgoingMessage message, @Nullable CompletableFuture<Void> outcome) {
        failures.throwIfAny("this message was not published");
        long now = ticker.nanoTime();
        lock.lock();
        try {
            ShutdownSignalException s = shutdown;
            if (s != null) {
                throw AmqpErrors.map("publish on channel " + channelNumber, s);
            }
            if (next < 0) {
                base = seq;
                next = seq;
            } else if (seq != next) {
                // The client consumed sequence numbers we never saw (a failed send): they will never be confirmed.
                for (long k = next; k < seq; k++) {
                    slots[(int) (k & mask)] = null;
                }
                next = seq;
                advance();
            }
            expire(now);
            while (next - base >= window) {
                awaitSettleOrExpiry(() -> "room in the confirm window (confirm_window=" + window + ") of channel "
                        + channelNumber);
                if (shutdown != null) {
                    throw AmqpErrors.map("publish on channel " + channelNumber, shutdown);
                }
            }
            int i = (int) (seq & mask);
            slots[i] = message.mandatory() || outcome != null ? new Tracked(message, outcome) : IN_FLIGHT;
            sentAt[i] = now;
            outstanding++;
            next = seq + 1;
        } finally {
            lock.unlock();
        }
        // Failures recorded while we waited belong to earlier publishes: report them before sending this one.
        if (failures.pending() > 0) {
            forget(seq);
            failures.throwIfAny("this message was not published");
        }
    }

    /** Forgets a registered publish that was not sent (the send failed; its caller got the error). */
    @Override
    public void forget(long seq) {
        lock.lock();
        try {
            if (seq >= base && seq < next && slots[(int) (seq & mask)] != null) {
                slots[(int) (seq & mask)] = null;
                outstanding--;
                advance();
                settled.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    /** How many publishes await their confirm. */
    int outstanding() {
        lock.lock();
        try {
            return outstanding;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits until every publish so far is confirmed (or failed), at most {@code confirm_timeout} per
     * publish; publishes still unconfirmed then count as failed.
     */
    void awaitSettled() {
        lock.lock();
        try {
            while (outstanding > 0 && shutdown == null) {
                awaitSettleOrExpiry(() -> "publisher confirms on channel " + channelNumber + " (" + outstanding
                        + " outstanding)");
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits for a settle, at most until the oldest outstanding publish times out; then counts what
     * timed out as failed. Under the lock, with a publish outstanding.
     *
     * @param waitingFor what the caller waits for, for the message if interrupted
     */
    private void awaitSettleOrExpiry(Supplier<String> waitingFor) {
        long waitNanos = sentAt[(int) (base & mask)] + timeoutNanos - ticker.nanoTime();
        if (waitNanos <= 0) {
            expire(ticker.nanoTime());
            return;
        }
        try {
            settled.awaitNanos(waitNanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OperationalException("interrupted while waiting for " + waitingFor.get(), e);
        }
    }

    /** Counts publishes older than {@code confirm_timeout} as failed. Under the lock. */
    private void expire(long now) {
        int expired = 0;
        while (base < next) {
            int i = (int) (base & mask);
            Object o = slots[i];
            if (o != null) {
                if (now - sentAt[i] < timeoutNanos) {
                    break;
                }
                slots[i] = null;
                outstanding--;
                if (!failTracked(o, "no publisher confirm within " + TimeUnit.NANOSECONDS.toMillis(timeoutNanos)
                        + " ms (option confirm_timeout); the broker may or may not have taken it")) {
                    expired++;
                }
            }
            base++;
        }
        if (expired > 0) {
            failures.add(expired, "no publisher confirm within " + TimeUnit.NANOSECONDS.toMillis(timeoutNanos)
                    + " ms (option confirm_timeout) for " + expired + " message(s); the broker may or may not have"
                    + " taken them", null);
            settled.signalAll();
        }
    }

    /** Moves {@code base} past settled slots. Under the lock. */
    private void advance() {
        while (base < next && slots[(int) (base & mask)] == null) {
            base++;
        }
    }

    @Override
    public void settle(long tag, boolean multiple, Verdict verdict) {
        int nacked = 0;
        int returned = 0;
        String returnedWhy = null;
        lock.lock();
        try {
            long from = multiple ? base : tag;
            long to = Math.min(tag, next - 1);
            for (long s = Math.max(from, base); s <= to; s++) {
                int i = (int) (s & mask);
                Object o = slots[i];
                if (o == null) {
                    continue;
                }
                slots[i] = null;
                outstanding--;
                Tracked t = o instanceof Tracked ? (Tracked) o : null;
                if (verdict == Verdict.NACK) {
                    if (t == null || !t.fail("the broker nacked it (internal error, or a queue limit such as"
                            + " x-overflow=reject-publish)")) {
                        nacked++;
                    }
                } else if (t != null && t.returnedBecause != null) {
                    if (!t.fail("no queue is bound to take the mandatory message (" + t.returnedBecause + ")")) {
                        returned++;
                        if (returnedWhy == null) {
                            returnedWhy = "mandatory message to exchange '" + t.message.exchange()
                                    + "' with routing key '" + t.message.routingKey() + "' was returned unroutable ("
                                    + t.returnedBecause + ")";
                        }
                    }
                } else if (t != null && t.outcome != null) {
                    t.outcome.complete(null);
                }
            }
            advance();
            // Recorded before waiters wake, so a flush that sees nothing outstanding also sees the failure.
            failures.add(nacked, "the broker nacked " + nacked + " message(s) (internal error, or a queue limit such as"
                    + " x-overflow=reject-publish)", null);
            if (returnedWhy != null) {
                failures.add(returned, returnedWhy, null);
            }
            settled.signalAll();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void handleReturn(int replyCode, String replyText, String exchange, String routingKey,
            AMQP.BasicProperties properties, byte[] body) {
        lock.lock();
        try {
            for (long s = base; s < next; s++) {
                Object o = slots[(int) (s & mask)];
                if (o instanceof Tracked) {
                    Tracked m = (Tracked) o;
                    if (m.message.mandatory() && m.returnedBecause == null
                            && ConfirmTracker.isReturnOf(m.message, exchange, routingKey, body)) {
                        m.returnedBecause = replyText + " (" + replyCode + ")";
                        return;
                    }
                }
            }
        } finally {
            lock.unlock();
        }
        log.warn("message to exchange '{}' with routing key '{}' was returned unroutable ({} {}) and no publish was"
                + " waiting for it", exchange, routingKey, replyCode, replyText);
    }

    @Override
    public void channelClosed(ShutdownSignalException cause) {
        lock.lock();
        try {
            shutdown = cause;
            int lost = 0;
            String why = "channel " + channelNumber + " closed before the broker confirmed it: " + cause.getMessage();
            for (long s = base; s < next; s++) {
                Object o = slots[(int) (s & mask)];
                if (o != null && !failTracked(o, why)) {
                    lost++;
                }
            }
            Arrays.fill(slots, null);
            outstanding = 0;
            base = next;
            // Recorded before waiters wake, so a flush that sees nothing outstanding also sees the failure.
            failures.add(lost, "channel " + channelNumber + " closed before the broker confirmed " + lost
                    + " message(s): " + cause.getMessage(), cause);
            settled.signalAll();
        } finally {
            lock.unlock();
        }
    }
}
