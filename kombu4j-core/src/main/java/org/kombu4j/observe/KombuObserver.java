package org.kombu4j.observe;

import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.kombu4j.Connection;
import org.kombu4j.Message;
import org.kombu4j.OperationalException;

/**
 * Told what a {@link Connection} does: publishes, deliveries, settlements, handler runs and connection
 * state. Registered with {@link Connection.Builder#observer}; every method has a no-op default, so an
 * observer overrides only what it needs.
 *
 * <p>Methods are called on the thread doing the work (the publishing thread, the thread draining events or the
 * hub's, a {@link org.kombu4j.Worker}'s handler thread, a transport thread for a lost connection): they must be
 * quick, must not block and should not throw — what one throws is logged and ignored, and never changes the fate
 * of the message. {@link #publishing} and {@link #handling} return a token (any object, or null) handed back to
 * the matching {@link #published} and {@link #handled} call, so that a tracer can carry its span across.
 */
public interface KombuObserver {
    /**
     * Before a message is sent; {@code publication} may add headers here ({@link Publication#setHeader}), as a
     * tracer adds {@code traceparent}.
     *
     * @return a token handed to {@link #published}
     */
    default @Nullable Object publishing(Publication publication) {
        return null;
    }

    /** After a message was handed to the broker ({@code error} null), or failed to be ({@code error} set). */
    default void published(Publication publication, @Nullable Object token, @Nullable Throwable error) {
    }

    /** A consumer received {@code message} (before its handler runs). */
    default void delivered(Message message) {
    }

    /** A consumer received {@code message} marked redelivered; called after {@link #delivered}. */
    default void redelivered(Message message) {
    }

    /**
     * A handler is about to run on {@code message}, on the thread that runs it.
     *
     * @return a token handed to {@link #handled}
     */
    default @Nullable Object handling(Message message) {
        return null;
    }

    /**
     * The handler of {@code message} returned ({@code error} null) or threw, after {@code nanos} nanoseconds;
     * on the thread that ran it.
     */
    default void handled(Message message, @Nullable Object token, long nanos, @Nullable Throwable error) {
    }

    /** {@code message} was acknowledged. */
    default void acknowledged(Message message) {
    }

    /** {@code message} was rejected: back to its queue if {@code requeue}, otherwise dropped or dead-lettered by the broker. */
    default void rejected(Message message, boolean requeue) {
    }

    /** {@code message} was dead-lettered with {@code reason} ({@link Message#deadLetter}). */
    default void deadLettered(Message message, String reason) {
    }

    /** The connection reached its broker for the first time. */
    default void connected(Connection connection) {
    }

    /** The connection was found lost (once per loss). */
    default void connectionLost(Connection connection, OperationalException error) {
    }

    /** The connection reached its broker again after {@link #connectionLost}. */
    default void connectionRestored(Connection connection) {
    }

    /** The connection was closed by the application. */
    default void connectionClosed(Connection connection) {
    }

    /**
     * One observer telling each of {@code observers} in turn, or null for none; what each throws is logged and the
     * next is still told.
     */
    static @Nullable KombuObserver compose(List<? extends KombuObserver> observers) {
        Objects.requireNonNull(observers, "observers");
        if (observers.isEmpty()) {
            return null;
        }
        return new CompositeObserver(observers);
    }
}
