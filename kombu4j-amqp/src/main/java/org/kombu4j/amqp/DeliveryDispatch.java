package org.kombu4j.amqp;

import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.kombu4j.ClosedException;
import org.kombu4j.OperationalException;
import org.kombu4j.hub.Hub;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the deliveries of one {@link AmqpTransport} run: they arrive on the RabbitMQ client's threads
 * and are queued for the thread calling {@code drainEvents} or, once a {@link Hub} is registered,
 * posted to it. Handlers so never run on the client's threads and may call back into the channel.
 */
final class DeliveryDispatch {
    private static final Logger log = LoggerFactory.getLogger(DeliveryDispatch.class);

    /** Wakes a waiting drainer: the connection was lost or the transport closed. */
    private static final Runnable WAKE = () -> { };

    private final LinkedBlockingQueue<Runnable> events = new LinkedBlockingQueue<>();
    private volatile @Nullable Hub hub;

    /** Runs {@code delivery} on kombu4j's delivery thread: the hub's, or the next drainEvents caller's. */
    void dispatch(Runnable delivery) {
        Hub h = hub;
        if (h != null) {
            post(h, delivery);
            return;
        }
        events.add(delivery);
        if (hub != null) {
            // Registered meanwhile: make sure nothing stays behind in the drain queue.
            moveToHub();
        }
    }

    /** From now on deliveries go to {@code h}; those queued so far are moved there. */
    void registerWith(Hub h) {
        this.hub = h;
        moveToHub();
    }

    boolean hasHub() {
        return hub != null;
    }

    /** Makes the next {@link #drain} throw {@code e}, once; with a hub there is no drainer to tell. */
    void failNextDrain(OperationalException e) {
        if (hub == null) {
            events.add(() -> {
                throw new OperationalException(e.getMessage(), e);
            });
        }
    }

    /** Wakes a waiting drainer so that it looks at the transport's state. */
    void wake() {
        events.add(WAKE);
    }

    /** Drops what is queued and wakes a waiting drainer (the transport closed). */
    void clearAndWake() {
        events.clear();
        events.add(WAKE);
    }

    private synchronized void moveToHub() {
        Hub h = hub;
        if (h == null) {
            return;
        }
        Runnable r;
        while ((r = events.poll()) != null) {
            if (r != WAKE) {
                post(h, r);
            }
        }
    }

    private static void post(Hub h, Runnable delivery) {
        try {
            h.callSoon(delivery);
        } catch (ClosedException e) {
            // Never throw into the client's delivery thread (it would close the channel): the message
            // stays unacknowledged and the broker requeues it when this connection closes.
            log.debug("hub is closed; a delivery waits for the channel to close and be requeued");
        }
    }

    /** The transport's view of itself while draining. */
    interface State {
        boolean isClosed();

        /** Throws if the transport can no longer deliver (closed, or the connection lost). */
        void checkUsable();
    }

    /**
     * Waits up to {@code timeout} for deliveries and runs those queued by then, so the caller regains
     * control; returns whether any ran. Ends quietly when the transport closes while waiting.
     */
    boolean drain(Duration timeout, State state) {
        Runnable first;
        try {
            first = events.poll(Math.max(0, timeout.toNanos()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OperationalException("interrupted while draining events", e);
        }
        if (first == null || state.isClosed()) {
            // Closed while waiting: like memory://, the wait just ends.
            return false;
        }
        int handled = 0;
        // Dispatch what is queued now, not what keeps arriving.
        int more = events.size();
        Runnable r = first;
        while (true) {
            if (r == WAKE) {
                if (state.isClosed()) {
                    break;
                }
                state.checkUsable();
            } else {
                r.run();
                handled++;
            }
            if (more-- <= 0 || (r = events.poll()) == null) {
                break;
            }
        }
        return handled > 0;
    }
}
