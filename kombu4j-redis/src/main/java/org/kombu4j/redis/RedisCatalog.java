package org.kombu4j.redis;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.kombu4j.Binding;
import org.kombu4j.ConfigurationException;
import org.kombu4j.Exchange;
import org.kombu4j.ExchangeType;
import org.kombu4j.KombuException;
import org.kombu4j.NotFoundException;
import org.kombu4j.PreconditionFailedException;
import org.kombu4j.Queue;
import org.kombu4j.redis.internal.Resp;
import org.kombu4j.transport.QueueInfo;

/**
 * What Redis holds about exchanges, queues and bindings (WIRE.md §2, §3, §12.1, §12.4): declare,
 * bind, unbind, delete, list and purge, each on the transport's command connection. Stateless: one
 * per transport, used from any thread. Telling consumers about a fanout binding is the channel's
 * part, after these writes.
 */
final class RedisCatalog {
    private final RedisTransport transport;
    private final Keys keys;

    RedisCatalog(RedisTransport transport) {
        this.transport = transport;
        this.keys = transport.keys();
    }

    void declareExchange(Exchange exchange, boolean passive) {
        if (exchange.isDefault()) {
            return;
        }
        String name = exchange.name();
        if (passive) {
            List<Object> r = transport.commands(c -> c.pipeline(List.of(List.of("HEXISTS", keys.exchangeTypes(), name),
                    List.of("EXISTS", keys.bindings(name)))));
            if (Resp.integer(r.get(0)) == 0 && Resp.integer(r.get(1)) == 0) {
                throw new NotFoundException("exchange '" + name + "' not found (passive declare)");
            }
            return;
        }
        if (!RedisTransport.CAPABILITIES.exchangeTypes().contains(exchange.type())) {
            // Kombu's Redis transport routes direct, topic and fanout only; a headers exchange would be
            // recorded and then every message published to it silently dropped.
            throw new ConfigurationException("the redis transport has no " + exchange.type().wireName()
                    + " exchanges (exchange '" + name + "'): use direct, topic or fanout");
        }
        String type = exchange.type().wireName();
        List<Object> r = transport.commands(c -> c.pipeline(List.of(List.of("HSETNX", keys.exchangeTypes(), name, type),
                List.of("HGET", keys.exchangeTypes(), name))));
        transport.fanoutBindingsChanged(); // after the write: a snapshot read before it is dropped
        String prior = Resp.text(RedisTransport.check(r.get(1), "HGET"));
        if (!prior.equals(type)) {
            throw new PreconditionFailedException("exchange '" + name + "' exists with type " + prior
                    + ", cannot redeclare it as " + type);
        }
    }

    QueueInfo declareQueue(Queue queue, boolean passive) {
        String name = queue.name();
        if (passive && !queueExists(name)) {
            throw new NotFoundException("queue '" + name + "' not found (passive declare)");
        }
        List<List<Object>> cmds = new ArrayList<>();
        if (!passive) {
            cmds.add(List.of("SADD", keys.declaredQueues(), name));
            List<Object> args = transport.queueArguments().recordCommand(queue);
            if (args != null) {
                cmds.add(args);
            }
        }
        for (String k : keys.queueKeys(name)) {
            cmds.add(List.of("LLEN", k));
        }
        List<Object> r = transport.commands(c -> c.pipeline(cmds));
        long n = 0;
        for (int i = cmds.size() - keys.queueKeys(name).size(); i < r.size(); i++) {
            n += Resp.integer(RedisTransport.check(r.get(i), "LLEN"));
        }
        return new QueueInfo(name, n, -1);
    }

    /**
     * A queue exists if we recorded its declaration, one of its lists holds messages, or a binding
     * row names it — so a queue declared by Python Kombu (which records nothing) exists once bound (§12.4).
     */
    boolean queueExists(String name) {
        List<List<Object>> cmds = new ArrayList<>();
        cmds.add(List.of("SISMEMBER", keys.declaredQueues(), name));
        for (String k : keys.queueKeys(name)) {
            cmds.add(List.of("EXISTS", k));
        }
        List<Object> r = transport.commands(c -> c.pipeline(cmds));
        for (Object o : r) {
            if (Resp.integer(RedisTransport.check(o, "EXISTS")) > 0) {
                return true;
            }
        }
        return !bindingRowsOf(name).isEmpty();
    }

    /**
     * Every binding member naming {@code queue}, by binding-set key. Scans the binding sets, filtered by
     * Redis ({@code SSCAN ... MATCH *<sep>queue}): reading whole sets made deleting N queues bound to
     * one exchange move N² members through the client (10,000 queues: ~10 GB allocated).
     */
    private Map<String, List<String>> bindingRowsOf(String queue) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        String suffix = keys.sep() + queue;
        String match = "*" + Keys.escapeGlob(suffix);
        for (String setKey : bindingSets()) {
            for (String member : scanAll(List.of("SSCAN", setKey), List.of("MATCH", match, "COUNT", "1000"))) {
                BindingMember b = BindingMember.parse(member, keys.sep());
                if (b != null && b.queue().equals(queue)) {
                    out.computeIfAbsent(setKey, k -> new ArrayList<>()).add(member);
                }
            }
        }
        return out;
    }

    private List<String> bindingSets() {
        return scanAll(List.of("SCAN"), List.of("MATCH", keys.bindingsPattern(), "COUNT", "1000"));
    }

    /**
     * Everything a SCAN-family command yields, cursor after cursor: {@code head} is the command before
     * the cursor ({@code SCAN}, or {@code SSCAN key}), {@code options} what follows it.
     */
    private List<String> scanAll(List<String> head, List<String> options) {
        List<String> out = new ArrayList<>();
        String cursor = "0";
        do {
            List<Object> cmd = new ArrayList<>(head);
            cmd.add(cursor);
            cmd.addAll(options);
            List<Object> r = Resp.array(transport.commands(c -> c.call(cmd)));
            cursor = Resp.text(r.get(0));
            for (Object o : Resp.array(r.get(1))) {
                out.add(Resp.text(o));
            }
        } while (!cursor.equals("0"));
        return out;
    }

    /** Writes the binding row (and records the queue as declared); the caller then tells its consumers. */
    void bind(String queue, Binding binding) {
        Exchange ex = binding.exchange();
        if (ex.isDefault()) {
            throw new KombuException("cannot bind queue '" + queue + "' to the default exchange: every queue is bound to it already");
        }
        String pattern = ex.type() == ExchangeType.TOPIC ? Keys.kombuTopicRegex(binding.routingKey()) : "";
        String member = member(binding.routingKey(), pattern, queue);
        transport.commands(c -> c.pipeline(List.of(
                List.of("SADD", keys.bindings(ex.name()), member),
                List.of("SADD", keys.declaredQueues(), queue))));
        transport.fanoutBindingsChanged();
    }

    /** Removes the binding row, with or without a topic pattern; the caller then tells its consumers. */
    void unbind(String queue, Binding binding) {
        String ex = binding.exchange().name();
        String rk = binding.routingKey();
        List<Object> srem = List.of("SREM", keys.bindings(ex), member(rk, "", queue),
                member(rk, Keys.kombuTopicRegex(rk), queue));
        transport.commands(c -> c.call(srem));
        transport.fanoutBindingsChanged();
    }

    private String member(String routingKey, String pattern, String queue) {
        try {
            return new BindingMember(routingKey, pattern, queue).format(keys.sep());
        } catch (IllegalArgumentException e) {
            throw new ConfigurationException("routing key '" + routingKey + "' contains the binding separator"
                    + " (the sep option): a binding row could not be read back");
        }
    }

    void deleteQueue(String queue) {
        List<List<Object>> cmds = new ArrayList<>();
        for (String k : keys.queueKeys(queue)) {
            cmds.add(List.of("DEL", k));
        }
        cmds.add(List.of("SREM", keys.declaredQueues(), queue));
        cmds.add(List.of("DEL", keys.delayed(queue)));
        cmds.add(transport.queueArguments().deleteCommand(queue));
        // Its totals too: a monitor lists only queues that exist, and short-lived queues would fill the hash.
        cmds.add(List.of("HDEL", keys.stats(), ClientStatsSink.PUBLISHED + queue, ClientStatsSink.DELIVERED + queue));
        bindingRowsOf(queue).forEach((set, members) -> {
            List<Object> srem = new ArrayList<>(List.of("SREM", set));
            srem.addAll(members);
            cmds.add(srem);
        });
        transport.commands(c -> c.pipeline(cmds));
        transport.routes().clear();
    }

    void deleteExchange(String exchange) {
        transport.commands(c -> c.pipeline(List.of(List.of("DEL", keys.bindings(exchange)),
                List.of("HDEL", keys.exchangeTypes(), exchange))));
        transport.fanoutBindingsChanged();
    }

    /**
     * Redis has no queue registry and Kombu keeps none, so a queue is whatever names one: a binding
     * row (what {@code Queue.declare} writes from Python), kombu4j's declared-queue set, or a
     * non-empty list (a Kombu queue with no exchange leaves only that). Lists whose names end in a
     * priority suffix count towards their queue. Consumer counts are unknown (-1).
     */
    List<QueueInfo> listQueues() {
        TreeSet<String> names = new TreeSet<>();
        for (Object m : Resp.array(transport.commands(c -> c.call(List.of("SMEMBERS", keys.declaredQueues()))))) {
            names.add(Resp.text(m));
        }
        for (String setKey : bindingSets()) {
            for (Object m : Resp.array(transport.commands(c -> c.call(List.of("SMEMBERS", setKey))))) {
                BindingMember b = BindingMember.parse(Resp.text(m), keys.sep());
                if (b != null && !b.queue().isEmpty()) {
                    names.add(b.queue());
                }
            }
        }
        String prefix = keys.prefix();
        for (String k : scanAll(List.of("SCAN"), List.of("MATCH", Keys.escapeGlob(prefix) + "*", "COUNT", "1000", "TYPE", "list"))) {
            names.add(queueOfListKey(k.substring(prefix.length())));
        }
        if (names.isEmpty()) {
            return List.of();
        }
        List<String> ordered = new ArrayList<>(names);
        List<List<Object>> cmds = new ArrayList<>();
        for (String q : ordered) {
            for (String k : keys.queueKeys(q)) {
                cmds.add(List.of("LLEN", k));
            }
        }
        List<Object> r = transport.commands(c -> c.pipeline(cmds));
        int perQueue = keys.steps().size();
        List<QueueInfo> out = new ArrayList<>(ordered.size());
        for (int i = 0; i < ordered.size(); i++) {
            long n = 0;
            for (int j = 0; j < perQueue; j++) {
                n += Resp.integer(RedisTransport.check(r.get(i * perQueue + j), "LLEN"));
            }
            out.add(new QueueInfo(ordered.get(i), n, -1));
        }
        return out;
    }

    /** {@code q<sep><step>} → {@code q} for a configured non-zero step; any other name is its own queue. */
    private String queueOfListKey(String name) {
        int at = name.lastIndexOf(keys.sep());
        if (at > 0) {
            String step = name.substring(at + keys.sep().length());
            for (int s : keys.steps()) {
                if (s != 0 && step.equals(Integer.toString(s))) {
                    return name.substring(0, at);
                }
            }
        }
        return name;
    }

    /** Counts and deletes a queue's lists atomically. */
    long purge(String queue) {
        List<String> ks = keys.queueKeys(queue);
        return Resp.integer(transport.commands(c -> Script.PURGE.call(c, ks, List.of())));
    }
}
