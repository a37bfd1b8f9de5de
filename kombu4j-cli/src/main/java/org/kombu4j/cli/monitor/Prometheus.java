package org.kombu4j.cli.monitor;

import java.util.List;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.kombu4j.transport.QueueStats;

/**
 * The Prometheus text exposition format (version 0.0.4) of a snapshot: one gauge family per field, one sample
 * per queue that has a value (an unknown field is left out, not written as 0).
 */
final class Prometheus {
    private Prometheus() {
    }

    static String render(Sampler.Snapshot s) {
        StringBuilder b = new StringBuilder(256 + s.queues().size() * 200);
        gauge(b, "kombu4j_monitor_broker_up", "1 if the last sample of the broker succeeded, else 0.");
        b.append("kombu4j_monitor_broker_up ").append(s.up() ? 1 : 0).append('\n');
        counter(b, "kombu4j_monitor_samples_total", "Successful samples of the broker.");
        b.append("kombu4j_monitor_samples_total ").append(s.samples()).append('\n');
        counter(b, "kombu4j_monitor_sample_failures_total", "Failed samples of the broker.");
        b.append("kombu4j_monitor_sample_failures_total ").append(s.failures()).append('\n');
        if (s.sampledAt() != 0) {
            gauge(b, "kombu4j_monitor_last_sample_timestamp_seconds", "When the queues below were read (Unix time).");
            b.append("kombu4j_monitor_last_sample_timestamp_seconds ").append(number(s.sampledAt() / 1000.0)).append('\n');
        }
        List<QueueStats> qs = s.queues();
        family(b, qs, "kombu4j_queue_messages_ready", "Messages ready in the queue.", q -> (double) q.ready());
        family(b, qs, "kombu4j_queue_messages_unacked", "Messages delivered and not yet acknowledged.", q -> d(q.unacked()));
        family(b, qs, "kombu4j_queue_consumers", "Consumers of the queue (Redis, SQL: kombu4j's only, a lower bound).", q -> d(q.consumers()));
        family(b, qs, "kombu4j_queue_publish_rate",
                "Messages per second published to the queue (RabbitMQ: the broker's measure; Redis, SQL: kombu4j clients' counts).",
                QueueStats::publishRate);
        family(b, qs, "kombu4j_queue_deliver_rate",
                "Messages per second delivered from the queue (RabbitMQ: the broker's measure; Redis, SQL: kombu4j clients' counts).",
                QueueStats::deliverRate);
        family(b, qs, "kombu4j_queue_rates_lower_bound",
                "1 if the queue's rates are estimated in part from its depth (others than kombu4j publish or consume), else 0.",
                q -> q.ratesSource() == null ? null : q.ratesSource().lowerBound() ? 1.0 : 0.0);
        family(b, qs, "kombu4j_queue_oldest_unacked_age_seconds", "Age of the oldest unacknowledged delivery.", QueueStats::oldestUnackedAgeSeconds);
        family(b, qs, "kombu4j_queue_messages_delayed", "Messages waiting for their delivery time.", q -> d(q.delayed()));
        family(b, qs, "kombu4j_queue_oldest_delayed_overdue_seconds", "How far past its due time the earliest delayed message is.",
                QueueStats::oldestDelayedAgeSeconds);
        family(b, qs, "kombu4j_queue_dead_letters", "Ready messages in the queue's dead-letter queues.", q -> d(q.deadLetters()));
        return b.toString();
    }

    private static @Nullable Double d(@Nullable Number n) {
        return n == null ? null : n.doubleValue();
    }

    private static void family(StringBuilder b, List<QueueStats> qs, String name, String help,
            Function<QueueStats, @Nullable Double> value) {
        boolean headed = false;
        for (QueueStats q : qs) {
            Double v = value.apply(q);
            if (v == null) {
                continue;
            }
            if (!headed) {
                gauge(b, name, help);
                headed = true;
            }
            b.append(name).append("{queue=\"").append(label(q.name())).append("\"} ").append(number(v)).append('\n');
        }
    }

    private static void gauge(StringBuilder b, String name, String help) {
        b.append("# HELP ").append(name).append(' ').append(help).append('\n');
        b.append("# TYPE ").append(name).append(" gauge\n");
    }

    private static void counter(StringBuilder b, String name, String help) {
        b.append("# HELP ").append(name).append(' ').append(help).append('\n');
        b.append("# TYPE ").append(name).append(" counter\n");
    }

    /** A label value: backslash, double quote and line feed escaped, as the format requires. */
    static String label(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }

    static String number(double v) {
        if (Double.isNaN(v)) {
            return "NaN";
        }
        if (Double.isInfinite(v)) {
            return v > 0 ? "+Inf" : "-Inf";
        }
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        return Double.toString(v); // Go's ParseFloat, which Prometheus uses, reads Java's 1.5E-7 form too
    }
}
