package org.kombu4j.amqp;

import java.time.Duration;
import org.kombu4j.ClosedException;
import org.kombu4j.OperationalException;
import org.kombu4j.hub.Hub;
import org.kombu4j.hub.Ticker;
import org.kombu4j.transport.EventInbox;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the deliveries of one {@link AmqpTransport} run: they arrive on the RabbitMQ client's threads
 * and go to an {@link EventInbox}, drained by the thread calling {@code drainEvents} or, once a
 * {@link Hub} is registered, posted to it. Handlers so never run on the client's threads and may call
 * back into the channel.
 */
final class DeliveryDispatch {
    private static final Logger log = LoggerFactory.getLogger(DeliveryDispatch.class);

    /** The drainer waits in {@link EventInbox#await}, so a post needs no other wake-up. */
    private final EventInbox inbox;

    DeliveryDispatch(Ticker ticker) {
        this.inbox = new EventInbox(ticker, () -> { });
    }

    /** Runs {@code delivery} on kombu4j's delivery thread: the hub's, or the next drainEvents caller's. */
    void dispatch(Runnable delivery) {
        try {
            inbox.post(delivery);
        } catch (ClosedException e) {
            // Never throw into the client's delivery thread (it would close the channel): the message
            // stays unacknowledged and the broker requeues it when this connection closes.
            log.debug("hub is closed; a delivery waits for the channel to close and be requeued");
        }
    }

    /** From now on deliveries go to {@code h}; those queued so far are moved there. */
    void registerWith(Hub h) {
        inbox.moveTo(h);
    }

    boolean hasHub() {
        return inbox.onHub();
    }

    /** Whether the caller is kombu4j's delivery thread now: the hub's, or a drainEvents caller's while it drains. */
    boolean inEventThread() {
        return inbox.inEventThread();
    }

    /** Makes the next {@link #drain} throw {@code e}, once; with a hub there is no drainer to tell. */
    void failNextDrain(OperationalException e) {
        if (!inbox.onHub()) {
            inbox.post(() -> {
                throw new OperationalException(e.getMessage(), e);
            });
        }
    }

    /** Wakes a waiting drainer so that it looks at the transport's state. */
    void wake() {
        inbox.wake();
    }

    /** Drops what is queued and wakes a waiting drainer (the transport closed). */
    void clearAndWake() {
        inbox.discardPending();
        inbox.wake();
    }

    /** The transport's view of itself while draining. */
    interface State {
        boolean isClosed();

        /** Throws if the transport can no longer deliver (closed, or the connection lost). */
        void checkUsable();

        /** The deliveries of one drain ran: writes what their handlers left to send at its end (batched acks). */
        void afterRun();
    }

    /**
     * Waits up to {@code timeout} for deliveries and runs those queued by then (not what keeps
     * arriving), so the caller regains control; returns whether any ran. Ends quietly when the
     * transport closes while waiting; throws after running them when the connection was lost.
     */
    boolean drain(Duration timeout, State state) {
        if (!inbox.await(inbox.deadlineAfter(timeout)) || state.isClosed()) {
            // Closed while waiting: like memory://, the wait just ends.
            return false;
        }
        int handled;
        // While it runs the deliveries this thread is the event thread: acks made here wait for the end of the run
        // and go out together (a multiple ack where safe), before the caller regains control.
        inbox.enterDrain();
        try {
            handled = inbox.runPending();
        } finally {
            try {
                state.afterRun();
            } finally {
                inbox.exitDrain();
            }
        }
        if (!state.isClosed()) {
            state.checkUsable();
        }
        return handled > 0;
    }
}
