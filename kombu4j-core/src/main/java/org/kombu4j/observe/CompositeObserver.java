package org.kombu4j.observe;

import java.util.List;
import org.jspecify.annotations.Nullable;
import org.kombu4j.Connection;
import org.kombu4j.Message;
import org.kombu4j.OperationalException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The observers of one connection, told in registration order. An observer that throws is logged (at most once per
 * observer and method, so a broken one cannot flood the log) and skipped: observing never changes what happens to
 * a message. With several observers the tokens travel as one array, one slot each.
 */
final class CompositeObserver implements KombuObserver {
    private static final Logger log = LoggerFactory.getLogger(KombuObserver.class);

    private final KombuObserver[] observers;
    private volatile boolean warned;

    CompositeObserver(List<? extends KombuObserver> list) {
        this.observers = list.toArray(new KombuObserver[0]);
    }

    private void failed(KombuObserver o, String method, RuntimeException e) {
        if (!warned) {
            warned = true;
            log.warn("observer {} failed in {} (further failures are logged at DEBUG)", o, method, e);
        } else {
            log.debug("observer {} failed in {}", o, method, e);
        }
    }

    @Override
    public @Nullable Object publishing(Publication publication) {
        if (observers.length == 1) {
            try {
                return observers[0].publishing(publication);
            } catch (RuntimeException e) {
                failed(observers[0], "publishing", e);
                return null;
            }
        }
        Object[] tokens = new Object[observers.length];
        for (int i = 0; i < observers.length; i++) {
            try {
                tokens[i] = observers[i].publishing(publication);
            } catch (RuntimeException e) {
                failed(observers[i], "publishing", e);
            }
        }
        return tokens;
    }

    @Override
    public void published(Publication publication, @Nullable Object token, @Nullable Throwable error) {
        // In reverse, so that scopes opened by publishing() close innermost first.
        for (int i = observers.length - 1; i >= 0; i--) {
            try {
                observers[i].published(publication, slot(token, i), error);
            } catch (RuntimeException e) {
                failed(observers[i], "published", e);
            }
        }
    }

    private @Nullable Object slot(@Nullable Object token, int i) {
        return observers.length == 1 ? token : token == null ? null : ((Object[]) token)[i];
    }

    @Override
    public void delivered(Message message) {
        for (KombuObserver o : observers) {
            try {
                o.delivered(message);
            } catch (RuntimeException e) {
                failed(o, "delivered", e);
            }
        }
    }

    @Override
    public void redelivered(Message message) {
        for (KombuObserver o : observers) {
            try {
                o.redelivered(message);
            } catch (RuntimeException e) {
                failed(o, "redelivered", e);
            }
        }
    }

    @Override
    public @Nullable Object handling(Message message) {
        if (observers.length == 1) {
            try {
                return observers[0].handling(message);
            } catch (RuntimeException e) {
                failed(observers[0], "handling", e);
                return null;
            }
        }
        Object[] tokens = new Object[observers.length];
        for (int i = 0; i < observers.length; i++) {
            try {
                tokens[i] = observers[i].handling(message);
            } catch (RuntimeException e) {
                failed(observers[i], "handling", e);
            }
        }
        return tokens;
    }

    @Override
    public void handled(Message message, @Nullable Object token, long nanos, @Nullable Throwable error) {
        for (int i = observers.length - 1; i >= 0; i--) {
            try {
                observers[i].handled(message, slot(token, i), nanos, error);
            } catch (RuntimeException e) {
                failed(observers[i], "handled", e);
            }
        }
    }

    @Override
    public void acknowledged(Message message) {
        for (KombuObserver o : observers) {
            try {
                o.acknowledged(message);
            } catch (RuntimeException e) {
                failed(o, "acknowledged", e);
            }
        }
    }

    @Override
    public void rejected(Message message, boolean requeue) {
        for (KombuObserver o : observers) {
            try {
                o.rejected(message, requeue);
            } catch (RuntimeException e) {
                failed(o, "rejected", e);
            }
        }
    }

    @Override
    public void deadLettered(Message message, String reason) {
        for (KombuObserver o : observers) {
            try {
                o.deadLettered(message, reason);
            } catch (RuntimeException e) {
                failed(o, "deadLettered", e);
            }
        }
    }

    @Override
    public void connected(Connection connection) {
        for (KombuObserver o : observers) {
            try {
                o.connected(connection);
            } catch (RuntimeException e) {
                failed(o, "connected", e);
            }
        }
    }

    @Override
    public void connectionLost(Connection connection, OperationalException error) {
        for (KombuObserver o : observers) {
            try {
                o.connectionLost(connection, error);
            } catch (RuntimeException e) {
                failed(o, "connectionLost", e);
            }
        }
    }

    @Override
    public void connectionRestored(Connection connection) {
        for (KombuObserver o : observers) {
            try {
                o.connectionRestored(connection);
            } catch (RuntimeException e) {
                failed(o, "connectionRestored", e);
            }
        }
    }

    @Override
    public void connectionClosed(Connection connection) {
        for (KombuObserver o : observers) {
            try {
                o.connectionClosed(connection);
            } catch (RuntimeException e) {
                failed(o, "connectionClosed", e);
            }
        }
    }

    @Override
    public String toString() {
        return "KombuObserver" + java.util.Arrays.toString(observers);
    }
}
