package org.kombu4j.micrometer;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.kombu4j.Connection;
import org.kombu4j.Message;
import org.kombu4j.OperationalException;
import org.kombu4j.observe.KombuObserver;
import org.kombu4j.observe.Publication;

/**
 * Micrometer meters for the connections it observes. Register it on each connection and bind it to a registry
 * (Spring Boot binds {@code MeterBinder} beans by itself):
 *
 * <pre>{@code
 * KombuMetrics metrics = new KombuMetrics();
 * metrics.bindTo(registry);
 * Connection conn = Connection.builder(url).observer(metrics).build();
 * }</pre>
 *
 * <p>Meters, named by Micrometer's conventions (a Prometheus registry shows {@code kombu.messages.published} as
 * {@code kombu_messages_published_total}):
 * <ul>
 *   <li>{@code kombu.messages.published} (counter; tags {@code exchange}, {@code routing.key}) and
 *       {@code kombu.messages.publish.errors} (publishes that failed);</li>
 *   <li>{@code kombu.messages.delivered}, {@code kombu.messages.redelivered}, {@code kombu.messages.acknowledged}
 *       (counters; tag {@code queue}), {@code kombu.messages.rejected} (tags {@code queue}, {@code requeue}),
 *       {@code kombu.messages.dead.lettered} (tags {@code queue}, {@code reason});</li>
 *   <li>{@code kombu.messages.in.flight} (gauge; tag {@code queue}): delivered to a handler and not settled yet;</li>
 *   <li>{@code kombu.handler} (timer; tags {@code queue}, {@code outcome} = {@code success} or {@code failure});</li>
 *   <li>{@code kombu.connections.connected} (gauge): observed connections that are connected;
 *       {@code kombu.connections.lost} and {@code kombu.connections.restored} (counters).</li>
 * </ul>
 * The default exchange is tagged {@code amq.default}, AMQP's name for it. Tags carry the names the application
 * uses; with topic routing keys of unbounded variety, turn the {@code routing.key} tag off
 * ({@link #KombuMetrics(Iterable, boolean)}). Events before {@link #bindTo} are not counted.
 */
public final class KombuMetrics implements KombuObserver, MeterBinder {
    /** The tag value of the default (nameless) exchange. */
    public static final String DEFAULT_EXCHANGE = "amq.default";

    private final Tags commonTags;
    private final boolean routingKeyTag;
    private volatile @Nullable MeterRegistry registry;
    private final Map<String, Map<String, Counter>> published = new ConcurrentHashMap<>();
    private final Map<String, Map<String, Counter>> publishErrors = new ConcurrentHashMap<>();
    private final Map<String, QueueMeters> queues = new ConcurrentHashMap<>();
    private final Set<Connection> connected = ConcurrentHashMap.newKeySet();
    private @Nullable Counter lost;
    private @Nullable Counter restored;

    /** Meters per queue, made on the queue's first event. */
    private static final class QueueMeters {
        final Counter delivered;
        final Counter redelivered;
        final Counter acknowledged;
        final Counter requeued;
        final Counter rejected;
        final Map<String, Counter> deadLettered = new ConcurrentHashMap<>();
        final AtomicLong inFlight = new AtomicLong();
        final Timer handlerSuccess;
        final Timer handlerFailure;
        final Tags tags;

        QueueMeters(MeterRegistry r, Tags common, String queue) {
            tags = common.and("queue", queue);
            delivered = Counter.builder("kombu.messages.delivered").description("Messages delivered to consumers")
                    .tags(tags).register(r);
            redelivered = Counter.builder("kombu.messages.redelivered")
                    .description("Messages delivered again (the broker or Kombu marked them redelivered)").tags(tags).register(r);
            acknowledged = Counter.builder("kombu.messages.acknowledged").description("Messages acknowledged")
                    .tags(tags).register(r);
            requeued = Counter.builder("kombu.messages.rejected").description("Messages rejected")
                    .tags(tags.and("requeue", "true")).register(r);
            rejected = Counter.builder("kombu.messages.rejected").description("Messages rejected")
                    .tags(tags.and("requeue", "false")).register(r);
            Gauge.builder("kombu.messages.in.flight", inFlight, AtomicLong::get)
                    .description("Messages delivered and not yet acknowledged or rejected").tags(tags).register(r);
            handlerSuccess = Timer.builder("kombu.handler").description("Time handlers took")
                    .tags(tags.and("outcome", "success")).register(r);
            handlerFailure = Timer.builder("kombu.handler").description("Time handlers took")
                    .tags(tags.and("outcome", "failure")).register(r);
        }
    }

    /** Meters with no common tags and the {@code routing.key} tag on published messages. */
    public KombuMetrics() {
        this(Tags.empty(), true);
    }

    /**
     * Meters with {@code tags} added to each, and the {@code routing.key} tag on publish meters only if
     * {@code routingKeyTag}.
     */
    public KombuMetrics(Iterable<Tag> tags, boolean routingKeyTag) {
        this.commonTags = Tags.of(Objects.requireNonNull(tags, "tags"));
        this.routingKeyTag = routingKeyTag;
    }

    /** Starts counting into {@code registry}; a second registry is refused (wrap several in a composite registry). */
    @Override
    public synchronized void bindTo(MeterRegistry registry) {
        Objects.requireNonNull(registry, "registry");
        if (this.registry != null) {
            if (this.registry == registry) {
                return;
            }
            throw new IllegalStateException("KombuMetrics is bound to a registry already; bind a CompositeMeterRegistry"
                    + " to count into several");
        }
        Gauge.builder("kombu.connections.connected", connected, Set::size)
                .description("Observed connections that are connected to their broker").tags(commonTags).register(registry);
        lost = Counter.builder("kombu.connections.lost").description("Connections found lost").tags(commonTags)
                .register(registry);
        restored = Counter.builder("kombu.connections.restored").description("Connections restored after a loss")
                .tags(commonTags).register(registry);
        this.registry = registry;
    }

    private @Nullable QueueMeters queue(Message m) {
        MeterRegistry r = registry;
        if (r == null) {
            return null;
        }
        String q = m.delivery().queue(); // not deliveryInfo(), which makes a record per call
        QueueMeters qm = queues.get(q);
        return qm != null ? qm : queues.computeIfAbsent(q, name -> new QueueMeters(r, commonTags, name));
    }

    private @Nullable Counter publishCounter(Map<String, Map<String, Counter>> cache, String name, String description,
            Publication p) {
        MeterRegistry r = registry;
        if (r == null) {
            return null;
        }
        String ex = p.exchange().isEmpty() ? DEFAULT_EXCHANGE : p.exchange();
        String rk = routingKeyTag ? p.routingKey() : "";
        Map<String, Counter> byKey = cache.computeIfAbsent(ex, e -> new ConcurrentHashMap<>());
        Counter c = byKey.get(rk);
        if (c == null) {
            Tags tags = commonTags.and("exchange", ex);
            if (routingKeyTag) {
                tags = tags.and("routing.key", rk);
            }
            Tags t = tags;
            c = byKey.computeIfAbsent(rk, k -> Counter.builder(name).description(description).tags(t).register(r));
        }
        return c;
    }

    @Override
    public void published(Publication publication, @Nullable Object token, @Nullable Throwable error) {
        Counter c = error == null
                ? publishCounter(published, "kombu.messages.published", "Messages handed to the broker", publication)
                : publishCounter(publishErrors, "kombu.messages.publish.errors", "Publishes that failed", publication);
        if (c != null) {
            c.increment();
        }
    }

    @Override
    public void delivered(Message message) {
        QueueMeters qm = queue(message);
        if (qm != null) {
            qm.delivered.increment();
            if (!message.isSettled()) {
                qm.inFlight.incrementAndGet();
            }
        }
    }

    @Override
    public void redelivered(Message message) {
        QueueMeters qm = queue(message);
        if (qm != null) {
            qm.redelivered.increment();
        }
    }

    @Override
    public void handled(Message message, @Nullable Object token, long nanos, @Nullable Throwable error) {
        QueueMeters qm = queue(message);
        if (qm != null) {
            (error == null ? qm.handlerSuccess : qm.handlerFailure).record(nanos, TimeUnit.NANOSECONDS);
        }
    }

    @Override
    public void acknowledged(Message message) {
        QueueMeters qm = queue(message);
        if (qm != null) {
            qm.acknowledged.increment();
            qm.inFlight.decrementAndGet();
        }
    }

    @Override
    public void rejected(Message message, boolean requeue) {
        QueueMeters qm = queue(message);
        if (qm != null) {
            (requeue ? qm.requeued : qm.rejected).increment();
            qm.inFlight.decrementAndGet();
        }
    }

    @Override
    public void deadLettered(Message message, String reason) {
        QueueMeters qm = queue(message);
        MeterRegistry r = registry;
        if (qm != null && r != null) {
            qm.deadLettered.computeIfAbsent(reason, why -> Counter.builder("kombu.messages.dead.lettered")
                    .description("Messages dead-lettered by the application").tags(qm.tags.and("reason", why)).register(r))
                    .increment();
            qm.inFlight.decrementAndGet();
        }
    }

    @Override
    public void connected(Connection connection) {
        connected.add(connection);
    }

    @Override
    public void connectionLost(Connection connection, OperationalException error) {
        connected.remove(connection);
        Counter c = lost;
        if (c != null) {
            c.increment();
        }
    }

    @Override
    public void connectionRestored(Connection connection) {
        connected.add(connection);
        Counter c = restored;
        if (c != null) {
            c.increment();
        }
    }

    @Override
    public void connectionClosed(Connection connection) {
        connected.remove(connection);
    }

    @Override
    public String toString() {
        return "KombuMetrics" + commonTags;
    }
}
