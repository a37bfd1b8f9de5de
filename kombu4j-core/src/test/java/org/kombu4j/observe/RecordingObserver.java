package org.kombu4j.observe;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jspecify.annotations.Nullable;
import org.kombu4j.Connection;
import org.kombu4j.Message;
import org.kombu4j.OperationalException;

/**
 * Records what it is told as short strings ({@code "published:ex:rk"}, {@code "acknowledged:q"}, ...), for tests of
 * the hooks on every transport. Handler times are kept apart, in {@link #handlerNanos}.
 */
public class RecordingObserver implements KombuObserver {
    public final List<String> events = new CopyOnWriteArrayList<>();
    public final List<Long> handlerNanos = new CopyOnWriteArrayList<>();
    public final List<String> handlerThreads = new CopyOnWriteArrayList<>();

    /** The events starting with {@code prefix}. */
    public List<String> only(String prefix) {
        List<String> out = new ArrayList<>();
        for (String e : events) {
            if (e.startsWith(prefix)) {
                out.add(e);
            }
        }
        return out;
    }

    @Override
    public @Nullable Object publishing(Publication p) {
        return "token:" + p.routingKey();
    }

    @Override
    public void published(Publication p, @Nullable Object token, @Nullable Throwable error) {
        events.add("published:" + p.exchange() + ":" + p.routingKey() + (error == null ? "" : ":failed")
                + (("token:" + p.routingKey()).equals(token) ? "" : ":wrong-token"));
    }

    @Override
    public void delivered(Message m) {
        events.add("delivered:" + m.deliveryInfo().queue());
    }

    @Override
    public void redelivered(Message m) {
        events.add("redelivered:" + m.deliveryInfo().queue());
    }

    @Override
    public @Nullable Object handling(Message m) {
        handlerThreads.add(Thread.currentThread().getName());
        return m;
    }

    @Override
    public void handled(Message m, @Nullable Object token, long nanos, @Nullable Throwable error) {
        handlerNanos.add(nanos);
        events.add("handled:" + m.deliveryInfo().queue() + (error == null ? ":ok" : ":" + error.getClass().getSimpleName())
                + (token == m ? "" : ":wrong-token"));
    }

    @Override
    public void acknowledged(Message m) {
        events.add("acknowledged:" + m.deliveryInfo().queue());
    }

    @Override
    public void rejected(Message m, boolean requeue) {
        events.add("rejected:" + m.deliveryInfo().queue() + ":" + (requeue ? "requeue" : "drop"));
    }

    @Override
    public void deadLettered(Message m, String reason) {
        events.add("deadLettered:" + m.deliveryInfo().queue() + ":" + reason);
    }

    @Override
    public void connected(Connection c) {
        events.add("connected");
    }

    @Override
    public void connectionLost(Connection c, OperationalException error) {
        events.add("lost");
    }

    @Override
    public void connectionRestored(Connection c) {
        events.add("restored");
    }

    @Override
    public void connectionClosed(Connection c) {
        events.add("closed");
    }
}
