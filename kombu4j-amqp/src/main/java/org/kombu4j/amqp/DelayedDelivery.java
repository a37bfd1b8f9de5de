package org.kombu4j.amqp;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ShutdownSignalException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import org.kombu4j.ConfigurationException;
import org.kombu4j.KombuException;
import org.kombu4j.transport.OutgoingMessage;

/**
 * Delayed delivery on RabbitMQ without plugins, on the topology of Kombu 5.3+'s native delayed delivery
 * ({@code kombu.transport.native_delayed_delivery}) so that Celery workers and kombu4j share one set:
 *
 * <ul>
 *   <li>28 levels {@code celery_delayed_N} (N = 27..0), each a topic exchange and a durable queue with
 *       {@code x-message-ttl} 2^N s that dead-letters into level N-1 (level 0: into the topic exchange
 *       {@code celery_delayed_delivery}). The queue of level N is bound by a key whose word N (from the right
 *       of the 28 binary digits) is {@code 1}; exchange N-1 is bound to exchange N by {@code 0}, so a message
 *       published to {@code celery_delayed_27} with its delay in seconds as 28 binary digits in front of its
 *       routing key waits exactly that many seconds in total. One TTL per queue keeps every queue FIFO by
 *       expiry, so no message waits behind a later one.</li>
 *   <li>The last hop is kombu4j's own, because Kombu's (binding each destination exchange to
 *       {@code celery_delayed_delivery} by {@code #.routing_key}) only serves topic exchanges and matches
 *       routing keys by suffix: the routing key ends in one word naming the destination
 *       ({@code k4j} + a hash of exchange and routing key), bound to a queue {@code kombu4j.delayed.<hash>} with
 *       {@code x-message-ttl} 0 (or the sub-second rest, below) that dead-letters to the original exchange
 *       with the original routing key. So any exchange type, the default exchange included, gets the message as
 *       if published then, and Celery's {@code #.rk} bindings never match it.</li>
 * </ul>
 *
 * <p>A delay shorter than {@value #DIRECT_SECONDS} s skips the levels: it waits whole in one last-hop queue
 * ({@code kombu4j.delayed.<token>m<B>}, B = the delay in ms rounded up to {@value #BUCKET_MS}), published to it by
 * name through the default exchange. Each level crossed is one more queue the broker writes the message to and
 * dead-letters it from, and the levels are shared by every destination, so short delays, the common ones
 * (retries, countdowns), arrive sooner this way (measured with 1,000 messages due at once: p99 lateness about
 * two thirds). The price is up to {@code DIRECT_SECONDS * 1000 / BUCKET_MS} last-hop queues per destination
 * instead of 21, each declared when first needed.
 *
 * <p>A longer delay enters the levels at the highest one it needs ({@code celery_delayed_H}, H = the delay's
 * highest 1 bit) rather than at {@code celery_delayed_27}: the bindings match by word position, so the levels
 * above H would only pass it on, and each topic exchange a message crosses costs the broker's routing (measured:
 * ~15 ms per message through all 28 on a loaded machine, where 1,000 messages due at once then arrive over
 * seconds).
 *
 * <p>The levels count whole seconds; the part of a delay below a second waits last, in the last hop: for a rest of
 * r ms the destination word is {@code <token>m<B>} (B = r rounded up to {@value #BUCKET_MS} ms), bound to the queue
 * {@code kombu4j.delayed.<token>m<B>} whose {@code x-message-ttl} is B, not 0. A TTL per queue, not a per-message
 * {@code expiration}: RabbitMQ drops {@code expiration} when it dead-letters, and a per-queue TTL keeps the queue
 * FIFO by expiry. So a message is never early and at most {@value #BUCKET_MS} ms late plus the hops. Waiting the
 * rest last rather than first (as a per-message {@code expiration} in a queue before the levels) is one
 * dead-letter hop fewer, which is what counts when many messages are due at once: the broker dead-letters them
 * one by one per queue (measured: p99 lateness about half). Last-hop queues are declared when first needed, once
 * per connection. While it waits the message sits in a queue nobody consumes, so it is in nobody's
 * unacknowledged set. The levels are declared with Kombu's classic-queue arguments; levels that exist already
 * (e.g. Celery declared them as quorum queues) are used as they are. Everything is declared on a separate AMQP
 * channel, once per connection, so that a refused declare does not close the publishing channel.
 */
final class DelayedDelivery {
    /** Levels, as Kombu's {@code MAX_NUMBER_OF_BITS_TO_USE}. */
    static final int LEVELS = 28;
    /** The longest delay, in seconds. */
    static final long MAX_DELAY_SECONDS = (1L << LEVELS) - 1;
    /** The top level, where Kombu publishes every delayed message (kombu4j enters at the level its delay needs). */
    static final String ENTRY = level(LEVELS - 1);
    /** Where level 0 dead-letters to, as Kombu names it. */
    static final String DELIVERY_EXCHANGE = "celery_delayed_delivery";
    /** Prefix of the last-hop queues, which re-address messages to their destination. */
    static final String RETURN_QUEUE_PREFIX = "kombu4j.delayed.";
    /** Sub-second rests are rounded up to this many ms, each bucket with its own last-hop queue per destination. */
    static final int BUCKET_MS = 50;
    /**
     * Delays shorter than this many seconds wait whole in one last-hop queue ({@value #BUCKET_MS} ms buckets, so at
     * most {@code DIRECT_SECONDS * 1000 / BUCKET_MS} queues per destination) instead of passing the levels.
     */
    static final int DIRECT_SECONDS = 8;

    private final AmqpTransport transport;
    private volatile boolean levelsDeclared;
    private final Set<String> returnQueues = ConcurrentHashMap.newKeySet();

    DelayedDelivery(AmqpTransport transport) {
        this.transport = transport;
    }

    static String level(int n) {
        return "celery_delayed_" + n;
    }

    /** A sub-second rest of {@code ms} (0..999) rounded up to its bucket: how long the last hop holds it. */
    static long bucket(long ms) {
        return (ms + BUCKET_MS - 1) / BUCKET_MS * BUCKET_MS;
    }

    /** The last hop's word for {@code token} after a rest of {@code bucketMs}: the token itself when 0. */
    static String lastHop(String token, long bucketMs) {
        return bucketMs == 0 ? token : token + "m" + bucketMs;
    }

    /** Where a delay of {@code seconds} enters: the level of its highest 1 bit, the delivery exchange for 0. */
    static String entry(long seconds) {
        return seconds == 0 ? DELIVERY_EXCHANGE : level(63 - Long.numberOfLeadingZeros(seconds));
    }

    /** Kombu's {@code calculate_routing_key}: the delay as 28 binary digits, most significant first, then the key. */
    static String routingKey(long seconds, String key) {
        StringBuilder sb = new StringBuilder(LEVELS * 2 + key.length());
        for (int bit = LEVELS - 1; bit >= 0; bit--) {
            sb.append((seconds >>> bit & 1) == 1 ? '1' : '0').append('.');
        }
        return sb.append(key).toString();
    }

    /** The one-word destination token: which exchange and routing key the last hop sends to. */
    static String destination(String exchange, String routingKey) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update(exchange.getBytes(StandardCharsets.UTF_8));
            d.update((byte) 0);
            d.update(routingKey.getBytes(StandardCharsets.UTF_8));
            return "k4j" + HexFormat.of().formatHex(d.digest(), 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /**
     * What to publish for {@code message}: itself if it is due, else the same content to the level its delay enters
     * at, the whole seconds in front of its routing key and its last hop (destination and sub-second bucket) as the
     * last word; after making sure the levels and that last hop exist.
     */
    OutgoingMessage route(OutgoingMessage message) {
        if (!message.isDelayed()) {
            return message;
        }
        // Whole ms from now, as the clock reads it now: the broker starts the wait later, so never early.
        long ms = message.deliverAt() - System.currentTimeMillis();
        if (ms <= 0) {
            return new OutgoingMessage(message.exchange(), message.routingKey(), message.content(), message.mandatory());
        }
        long seconds = ms / 1000;
        long rest = ms % 1000;
        if (seconds > MAX_DELAY_SECONDS) {
            throw new ConfigurationException("cannot delay a message by " + seconds + " s on RabbitMQ: at most "
                    + MAX_DELAY_SECONDS + " s (28 levels of delay queues)");
        }
        if (message.content().properties().get("expiration") != null) {
            // A per-message TTL would expire it out of a delay queue early, i.e. deliver it early.
            throw new ConfigurationException("a delayed message cannot have an expiration on RabbitMQ");
        }
        String token = destination(message.exchange(), message.routingKey());
        if (seconds < DIRECT_SECONDS) {
            // One hop: the whole delay in the last hop, published to it by name through the default exchange.
            // Mandatory, so that a last hop deleted since this connection declared it fails the publish instead of
            // dropping the message.
            long hold = bucket(ms);
            String word = lastHop(token, hold);
            declare(message.exchange(), message.routingKey(), word, hold);
            return new OutgoingMessage("", RETURN_QUEUE_PREFIX + word, message.content(), true);
        }
        long hold = bucket(rest);
        String word = lastHop(token, hold);
        declare(message.exchange(), message.routingKey(), word, hold);
        // Not mandatory: the delay exchange always takes it; whether the destination routes it is known only later.
        return new OutgoingMessage(entry(seconds), routingKey(seconds, word), message.content(), false);
    }

    private void declare(String exchange, String routingKey, String word, long holdMillis) {
        if (levelsDeclared && returnQueues.contains(word)) {
            return;
        }
        synchronized (this) {
            Declarer d = new Declarer();
            try {
                if (!levelsDeclared) {
                    declareLevels(d);
                    levelsDeclared = true;
                }
                if (!returnQueues.contains(word)) {
                    String q = RETURN_QUEUE_PREFIX + word;
                    d.queue(q, Map.of("x-message-ttl", (int) holdMillis, "x-dead-letter-exchange", exchange,
                            "x-dead-letter-routing-key", routingKey));
                    if (holdMillis <= 1000) {
                        // A rest after the levels; longer holds are only published to by name, and every "#."
                        // binding on the delivery exchange costs the broker's topic routing of each delayed message.
                        d.run("bind " + q + " to " + DELIVERY_EXCHANGE,
                                ch -> ch.queueBind(q, DELIVERY_EXCHANGE, "#." + word));
                    }
                    returnQueues.add(word);
                }
            } finally {
                d.close();
            }
        }
    }

    /**
     * Deletes the last-hop queues of one destination that hold nothing (a queue still holding a message is kept:
     * that message is on its way), and forgets them so that a later delay declares them again.
     *
     * @return how many were deleted (or did not exist)
     */
    int deleteLastHops(String exchange, String routingKey) {
        String token = destination(exchange, routingKey);
        int deleted = 0;
        synchronized (this) {
            Declarer d = new Declarer();
            try {
                for (long hold = 0; hold <= DIRECT_SECONDS * 1000L; hold += BUCKET_MS) {
                    String word = lastHop(token, hold);
                    returnQueues.remove(word);
                    try {
                        d.run("delete queue " + RETURN_QUEUE_PREFIX + word,
                                ch -> ch.queueDelete(RETURN_QUEUE_PREFIX + word, false, true));
                        deleted++;
                    } catch (KombuException e) {
                        // Not empty (406): the channel is closed; go on with a new one.
                        d.reopen();
                    }
                }
            } finally {
                d.close();
            }
        }
        return deleted;
    }

    /**
     * Kombu's levels, declared whole once per connection even when they exist: every declaration is idempotent, and
     * a level whose exchange was deleted and declared again has lost its bindings, so a delayed message routed
     * through it would vanish without an error (the publish is not mandatory). Checking only that
     * {@code celery_delayed_delivery} exists missed exactly that. The ~140 declarations go without waiting for each
     * reply, then one round trip confirms them all; if any was refused (a level Celery declared as a quorum queue)
     * they are redone one by one, using what exists.
     */
    private void declareLevels(Declarer d) {
        try {
            declareLevels(d, true);
            d.run("check exchange " + DELIVERY_EXCHANGE, ch -> ch.exchangeDeclarePassive(DELIVERY_EXCHANGE));
        } catch (KombuException e) {
            d.reopen();
            declareLevels(d, false);
        }
    }

    /** Exchanges, TTL queues, the bindings that route one bit of the delay each, the delivery exchange. */
    private static void declareLevels(Declarer d, boolean noWait) {
        String oneAt = "1.#";
        for (int n = LEVELS - 1; n >= 0; n--) {
            String name = level(n);
            Map<String, Object> args = Map.of("x-queue-type", "classic", "x-overflow", "reject-publish",
                    "x-message-ttl", ttlMillis(n), "x-dead-letter-exchange", n > 0 ? level(n - 1) : DELIVERY_EXCHANGE);
            String key = oneAt;
            if (noWait) {
                d.run("declare " + name, ch -> {
                    ch.exchangeDeclareNoWait(name, "topic", true, false, false, null);
                    ch.queueDeclareNoWait(name, true, false, false, args);
                    ch.queueBindNoWait(name, name, key, null);
                });
            } else {
                d.run("declare exchange " + name, ch -> ch.exchangeDeclare(name, "topic", true, false, false, null));
                d.queue(name, args);
                d.run("bind queue " + name, ch -> ch.queueBind(name, name, key));
            }
            oneAt = "*." + oneAt;
        }
        String zeroAt = "0.#";
        for (int n = LEVELS - 1; n > 0; n--) {
            String from = level(n);
            String to = level(n - 1);
            String key = zeroAt;
            d.run("bind exchange " + to + " to " + from, noWait ? ch -> ch.exchangeBindNoWait(to, from, key, null)
                    : ch -> ch.exchangeBind(to, from, key));
            zeroAt = "*." + zeroAt;
        }
        String last = zeroAt;
        d.run("declare exchange " + DELIVERY_EXCHANGE, noWait
                ? ch -> ch.exchangeDeclareNoWait(DELIVERY_EXCHANGE, "topic", true, false, false, null)
                : ch -> ch.exchangeDeclare(DELIVERY_EXCHANGE, "topic", true, false, false, null));
        d.run("bind exchange " + DELIVERY_EXCHANGE, noWait
                ? ch -> ch.exchangeBindNoWait(DELIVERY_EXCHANGE, level(0), last, null)
                : ch -> ch.exchangeBind(DELIVERY_EXCHANGE, level(0), last));
    }

    /** 2^n s in ms, typed as Python's AMQP encoder types it (an int while it fits), so both declare the same. */
    static Number ttlMillis(int n) {
        long ms = (1L << n) * 1000;
        return ms <= Integer.MAX_VALUE ? (Number) (int) ms : (Number) ms;
    }

    @FunctionalInterface
    private interface Op {
        void run(Channel ch) throws IOException;
    }

    /** Declares on a channel of its own, replacing it after a refused declare. */
    private final class Declarer {
        private Channel ch = transport.openAmqpChannel();

        void run(String what, Op op) {
            try {
                op.run(ch);
            } catch (IOException | ShutdownSignalException e) {
                throw AmqpErrors.map("delayed delivery: " + what, e);
            }
        }

        void reopen() {
            close();
            ch = transport.openAmqpChannel();
        }

        /** Declares a durable queue; one that exists with other arguments (406) is used as it is. */
        void queue(String name, Map<String, Object> args) {
            try {
                ch.queueDeclare(name, true, false, false, args);
            } catch (IOException | ShutdownSignalException e) {
                KombuException mapped = AmqpErrors.map("delayed delivery: declare queue " + name, e);
                if (!(mapped instanceof org.kombu4j.PreconditionFailedException)) {
                    throw mapped;
                }
                reopen();
                run("check queue " + name, c -> c.queueDeclarePassive(name));
            }
        }

        void close() {
            try {
                if (ch.isOpen()) {
                    ch.close();
                }
            } catch (IOException | TimeoutException | ShutdownSignalException e) {
                // Nothing was left half-done on it: every declare above either completed or threw.
            }
        }
    }
}
