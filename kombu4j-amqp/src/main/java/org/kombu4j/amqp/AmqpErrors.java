package org.kombu4j.amqp;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.AuthenticationFailureException;
import com.rabbitmq.client.Method;
import com.rabbitmq.client.ShutdownSignalException;
import org.jspecify.annotations.Nullable;
import org.kombu4j.AccessRefusedException;
import org.kombu4j.KombuException;
import org.kombu4j.NotFoundException;
import org.kombu4j.OperationalException;
import org.kombu4j.PreconditionFailedException;

/**
 * Turns the RabbitMQ client's checked and shutdown exceptions into kombu4j's unchecked family at the
 * SPI boundary, keeping the cause. Channel errors carry AMQP reply codes (404, 406, ...) that say
 * what the caller did wrong; anything about the connection itself is operational, so retryable.
 */
final class AmqpErrors {
    static final int NOT_FOUND = 404;
    static final int PRECONDITION_FAILED = 406;
    static final int ACCESS_REFUSED = 403;
    static final int NOT_ALLOWED = 530;

    private AmqpErrors() {
    }

    /**
     * Maps {@code error}, thrown while doing {@code what} (e.g. "declare queue 'q'"), to the kombu4j
     * exception a caller can act on.
     */
    static KombuException map(String what, Throwable error) {
        if (error instanceof KombuException) {
            return (KombuException) error;
        }
        ShutdownSignalException sse = shutdownSignal(error);
        if (sse != null) {
            return fromShutdown(what, sse);
        }
        if (error instanceof AuthenticationFailureException) {
            return withCause(new AccessRefusedException("cannot " + what + ": " + error.getMessage()
                    + "; check the user name and password in the URL"), error);
        }
        if (error instanceof InterruptedException) {
            Thread.currentThread().interrupt();
            return new OperationalException("interrupted while trying to " + what, error);
        }
        return new OperationalException("cannot " + what + ": " + describe(error), error);
    }

    private static KombuException fromShutdown(String what, ShutdownSignalException sse) {
        Method reason = sse.getReason();
        if (!sse.isHardError() && reason instanceof AMQP.Channel.Close) {
            AMQP.Channel.Close close = (AMQP.Channel.Close) reason;
            String text = "cannot " + what + ": " + close.getReplyText();
            switch (close.getReplyCode()) {
                case NOT_FOUND:
                    return withCause(new NotFoundException(text), sse);
                case PRECONDITION_FAILED:
                    return withCause(new PreconditionFailedException(text), sse);
                case ACCESS_REFUSED:
                    return withCause(new AccessRefusedException(text + "; check the user's permissions on the virtual host"), sse);
                default:
                    return new KombuException(text + " (AMQP reply code " + close.getReplyCode() + ")", sse);
            }
        }
        if (reason instanceof AMQP.Connection.Close) {
            AMQP.Connection.Close close = (AMQP.Connection.Close) reason;
            if (close.getReplyCode() == NOT_ALLOWED || close.getReplyCode() == ACCESS_REFUSED) {
                // A missing virtual host or refused login: retrying will not fix it.
                return new AccessRefusedException("cannot " + what + ": " + close.getReplyText()
                        + "; check the virtual host and the user's permissions", sse);
            }
            return new OperationalException("cannot " + what + ": connection closed by the broker: "
                    + close.getReplyText(), sse);
        }
        return new OperationalException("cannot " + what + ": " + describe(sse), sse);
    }

    /** The shutdown signal in {@code error}'s cause chain (the client wraps channel errors in IOException). */
    static @Nullable ShutdownSignalException shutdownSignal(Throwable error) {
        Throwable t = error;
        for (int depth = 0; t != null && depth < 8; depth++) {
            if (t instanceof ShutdownSignalException) {
                return (ShutdownSignalException) t;
            }
            t = t.getCause();
        }
        return null;
    }

    private static String describe(Throwable error) {
        String m = error.getMessage();
        return m == null || m.isBlank() ? error.getClass().getSimpleName() : m;
    }

    private static <E extends KombuException> E withCause(E e, Throwable cause) {
        if (e.getCause() == null) {
            e.initCause(cause);
        }
        return e;
    }
}
