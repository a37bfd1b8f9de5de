package org.kombu4j.redis;

import java.util.ArrayList;
import java.util.List;

/**
 * Every Redis key and channel name the transport uses, with {@code global_keyprefix} applied to all
 * of them (WIRE.md §7; unlike Kombu, existence checks too, §12.5).
 *
 * <p>Kombu's keys: queue lists {@code q} and {@code q<sep><step>} (§2, §4), binding sets
 * {@code _kombu.binding.<exchange>} (§3), {@code unacked}, {@code unacked_index},
 * {@code unacked_mutex} (§6), fanout channels {@code /<db>.<exchange>[/<key>]} (§5). Added by
 * kombu4j, ignored by Kombu: {@code _kombu4j.exchange.types} (hash exchange → type, so every process
 * routes an exchange the same way, §12.1), {@code _kombu4j.queues} (set of declared queues, so an
 * empty declared queue exists, §12.4) and {@code _kombu4j.unacked.queues} (hash delivery tag → the
 * list a message was taken from, so a restore goes back to that list, §12.8),
 * {@code _kombu4j.delayed.<queue>} (sorted set of messages waiting for their due time, score = due
 * epoch ms, member = {@code <priority step>:<envelope>}; outside the queue's lists so that Python
 * consumers cannot take them early, and never in {@code unacked}) and {@code _kombu4j.queue.args}
 * (hash queue → JSON of its dead-letter arguments, so every process consuming the queue knows them),
 * {@code _kombu4j.leases} (sorted set tag → lease expiry in epoch ms, for messages taken by kombu4j
 * consumers, which renew it; see {@link RedisOptions#lease()}).
 * {@code _kombu4j.stats} (hash {@code published.<queue>} / {@code delivered.<queue>} → running totals counted
 * by kombu4j clients) and {@code _kombu4j.consumers} (hash client id → its consumers, see {@link ClientStatsSink})
 * feed a monitor. Kombu's own keys never start with {@code _kombu4j.}.
 */
final class Keys {
    private final String prefix;
    private final String sep;
    private final List<Integer> steps;
    private final String fanoutBase;

    Keys(RedisOptions o, int db) {
        this.prefix = o.globalKeyprefix();
        this.sep = o.sep();
        this.steps = o.prioritySteps();
        this.fanoutBase = prefix + (o.fanoutPrefix() ? "/" + db + "." : "");
    }

    String prefix() {
        return prefix;
    }

    /** The binding separator ({@code sep} option), also between a queue's name and its priority step. */
    String sep() {
        return sep;
    }

    List<Integer> steps() {
        return steps;
    }

    /** The list holding {@code queue}'s messages of one priority step; step 0 is the bare name, as Kombu. */
    String queue(String queue, int step) {
        return step == 0 ? prefix + queue : prefix + queue + sep + step;
    }

    /** Every priority list of a queue, in consuming order. */
    List<String> queueKeys(String queue) {
        List<String> out = new ArrayList<>(steps.size());
        for (int s : steps) {
            out.add(queue(queue, s));
        }
        return out;
    }

    String bindings(String exchange) {
        return prefix + "_kombu.binding." + exchange;
    }

    String bindingsPattern() {
        return escapeGlob(prefix + "_kombu.binding.") + "*";
    }

    String unacked() {
        return prefix + "unacked";
    }

    String unackedIndex() {
        return prefix + "unacked_index";
    }

    String unackedMutex() {
        return prefix + "unacked_mutex";
    }

    String exchangeTypes() {
        return prefix + "_kombu4j.exchange.types";
    }

    String declaredQueues() {
        return prefix + "_kombu4j.queues";
    }

    String unackedQueues() {
        return prefix + "_kombu4j.unacked.queues";
    }

    /** The sorted set of {@code queue}'s delayed messages (score = due epoch ms). */
    String delayed(String queue) {
        return delayedPrefix() + queue;
    }

    /** What every delayed set's key starts with; the rest is the queue name. */
    String delayedPrefix() {
        return prefix + "_kombu4j.delayed.";
    }

    /** The sorted set of tags kombu4j consumers hold under a lease (score = lease expiry, epoch ms). */
    String leases() {
        return prefix + "_kombu4j.leases";
    }

    /** Hash: {@code published.<queue>} and {@code delivered.<queue>} → running totals ({@link ClientStatsSink}). */
    String stats() {
        return prefix + "_kombu4j.stats";
    }

    /** Hash: kombu4j client id → its consumers per queue and the record's expiry ({@link ClientStatsSink}). */
    String consumers() {
        return prefix + "_kombu4j.consumers";
    }

    /** The hash queue → JSON object of its dead-letter arguments. */
    String queueArgs() {
        return prefix + "_kombu4j.queue.args";
    }

    /** The pub/sub channel a fanout publish without routing key goes to; with a key, {@code + "/" + key}. */
    String fanoutChannel(String exchange) {
        return fanoutBase + exchange;
    }

    /** Escapes glob metacharacters for PSUBSCRIBE and SCAN MATCH. */
    static String escapeGlob(String s) {
        StringBuilder b = new StringBuilder(s.length() + 4);
        for (char c : s.toCharArray()) {
            if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') {
                b.append('\\');
            }
            b.append(c);
        }
        return b.toString();
    }

    /**
     * Kombu's topic regex for a binding key (WIRE.md §3), written into binding members so that
     * Python consumers route topics as before; kombu4j itself routes with AMQP semantics.
     */
    static String kombuTopicRegex(String bindingKey) {
        StringBuilder escaped = new StringBuilder();
        for (char c : bindingKey.toCharArray()) {
            if (Character.isLetterOrDigit(c) || c == '.' || c == '#' || c == '*') {
                escaped.append(c);
            } else if (c == '\0') {
                escaped.append("\\000");
            } else {
                escaped.append('\\').append(c);
            }
        }
        List<String> words = new ArrayList<>();
        for (String w : escaped.toString().split("\\.", -1)) {
            words.add(w.equals("*") ? ".*?[^\\.]" : w.equals("#") ? ".*?" : w);
        }
        return "^" + String.join("\\.", words) + "$";
    }
}
