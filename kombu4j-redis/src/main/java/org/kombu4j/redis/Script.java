package org.kombu4j.redis;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.kombu4j.OperationalException;
import org.kombu4j.redis.internal.RedisConnection;
import org.kombu4j.redis.internal.RespError;

/**
 * A Lua script run with {@code EVALSHA}; on {@code NOSCRIPT} (a restarted or flushed server) it is
 * sent once with {@code EVAL}, which also caches it, so the common case sends only the digest.
 */
final class Script {
    private final String source;
    private final String sha;

    Script(String source) {
        this.source = source;
        try {
            this.sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(source.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private List<Object> command(boolean bySha, List<?> keys, List<?> args) {
        List<Object> cmd = new ArrayList<>(3 + keys.size() + args.size());
        cmd.add(bySha ? "EVALSHA" : "EVAL");
        cmd.add(bySha ? sha : source);
        cmd.add(keys.size());
        cmd.addAll(keys);
        cmd.addAll(args);
        return cmd;
    }

    /** Runs synchronously; an error reply is thrown as {@link OperationalException}. */
    @Nullable Object call(RedisConnection c, List<?> keys, List<?> args) {
        Object r = c.call(command(true, keys, args));
        if (r instanceof RespError && ((RespError) r).code().equals("NOSCRIPT")) {
            r = c.call(command(false, keys, args));
        }
        if (r instanceof RespError) {
            throw new OperationalException("Redis script failed: " + ((RespError) r).message());
        }
        return r;
    }

    /**
     * Queues a run on an asynchronous connection; {@code callback} gets the reply (maybe a {@link RespError}).
     * {@code flush} writes the EVAL fallback (the owner knows how: directly, or via the Hub's writer).
     */
    void send(RedisConnection c, List<?> keys, List<?> args, Runnable flush, Consumer<@Nullable Object> callback) {
        c.send(command(true, keys, args), r -> {
            if (r instanceof RespError && ((RespError) r).code().equals("NOSCRIPT") && c.isOpen()) {
                c.send(command(false, keys, args), callback);
                flush.run();
            } else {
                callback.accept(r);
            }
        });
    }

    // ------------------------------------------------------------------ the scripts

    /**
     * Publishes one envelope in one round trip (Kombu needs two): reads the exchange type
     * (§12.1: from {@code _kombu4j.exchange.types}, direct if absent, as Kombu), then for fanout
     * PUBLISHes (§5), otherwise reads the binding set and LPUSHes to every matching queue's list for
     * the message's priority step. Topic matching is AMQP's (words; {@code *} one word, {@code #}
     * zero or more), on the routing-key field of each member, not Kombu's stored regex (§12.7).
     * A member splits at its first and second separator, the rest being the queue: the rule
     * {@link BindingMember#parse} applies in the client (keep the two the same).
     * KEYS: bindings, types. ARGV: prefix, exchange, routing key, sep, step suffix, envelope,
     * fanout channel, fanout_patterns. Returns the number of queues, or -1 for a fanout publish.
     */
    static final Script PUBLISH = new Script("""
            local prefix, ex, rk, sep, suffix, env = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
            if ex == '' then
              redis.call('LPUSH', prefix .. rk .. suffix, env)
              return 1
            end
            local t = redis.call('HGET', KEYS[2], ex)
            if t == 'fanout' then
              local ch = ARGV[7]
              if ARGV[8] == '1' and rk ~= '' then ch = ch .. '/' .. rk end
              redis.call('PUBLISH', ch, env)
              return -1
            end
            local function words(s)
              local out, from = {}, 1
              while true do
                local i = string.find(s, '.', from, true)
                if not i then out[#out + 1] = string.sub(s, from); return out end
                out[#out + 1] = string.sub(s, from, i - 1)
                from = i + 1
              end
            end
            local key = nil
            local function match(p, pi, k, ki)
              while pi <= #p do
                local w = p[pi]
                if w == '#' then
                  if pi == #p then return true end
                  for s = ki, #k + 1 do
                    if match(p, pi + 1, k, s) then return true end
                  end
                  return false
                end
                if ki > #k then return false end
                if w ~= '*' and w ~= k[ki] then return false end
                pi = pi + 1
                ki = ki + 1
              end
              return ki > #k
            end
            local members
            if t == 'topic' then
              members = redis.call('SMEMBERS', KEYS[1])
            else
              -- Direct: only members starting with the routing key and SEP can match. SSCAN MATCH filters
              -- in C, so a publish to one of 10,000 bindings does not walk all of them in Lua.
              members = {}
              local glob = string.gsub(rk .. sep, '[%*%?%[%]\\\\]', '\\\\%0') .. '*'
              local cur = '0'
              repeat
                local r = redis.call('SSCAN', KEYS[1], cur, 'MATCH', glob, 'COUNT', 1000)
                cur = r[1]
                for _, m in ipairs(r[2]) do members[#members + 1] = m end
              until cur == '0'
            end
            local n, seen = 0, {}
            for _, m in ipairs(members) do
              local a = string.find(m, sep, 1, true)
              local b = a and string.find(m, sep, a + #sep, true)
              if b then
                local brk, q = string.sub(m, 1, a - 1), string.sub(m, b + #sep)
                local ok
                if t == 'topic' then
                  if key == nil then key = words(rk) end
                  ok = match(words(brk), 1, key, 1)
                else
                  ok = (brk == rk)
                end
                if ok and not seen[q] then
                  seen[q] = true
                  redis.call('LPUSH', prefix .. q .. suffix, env)
                  n = n + 1
                end
              end
            end
            return n
            """);

    /**
     * Takes messages and records them as unacknowledged in the same atomic step, closing Kombu's
     * loss window (§12.3). Lists are visited priority-major, round-robin across queues within a
     * step. Each acknowledged-mode message gets Kombu's records ({@code HSET unacked tag
     * [envelope, exchange, routing_key]}, {@code ZADD unacked_index now tag}, §6), so Python's
     * restore_visible can restore it, plus the list it came from in {@code _kombu4j.unacked.queues}.
     * Under a lease each is also added to {@code _kombu4j.leases} with its expiry.
     * KEYS: unacked, unacked_index, unacked queues, leases, then the lists (step-major, nq per step).
     * ARGV: now, max total, max acknowledged-mode, nq, then per queue '1' if no-ack, then the lease
     * expiry (epoch ms; '' = no lease).
     * Returns triples: list index (1-based), envelope, tag ('' for no-ack).
     */
    static final Script POP = new Script("""
            local unacked, index, uq, leases = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
            local now, maxTotal, maxAcked, nq = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
            local leaseUntil = ARGV[5 + nq]
            local nkeys = #KEYS - 4
            local out, total, acked, step = {}, 0, 0, 0
            local pend, tags = {}, {}
            -- The JSON string literal (quotes included) after "name": when the key occurs exactly once
            -- from position 'from' on and the literal has no escapes; nil otherwise (then cjson decides).
            -- A quoted key followed by ':' cannot occur inside a JSON string, so a hit is a key.
            local function lit(v, name, from)
              local key = '"' .. name .. '":'
              local a, b = string.find(v, key, from, true)
              if not a or string.find(v, key, b + 1, true) then return nil, 0 end
              local s = b + 1
              if string.byte(v, s) == 32 then s = s + 1 end
              if string.byte(v, s) ~= 34 then return nil, 0 end
              local e = string.find(v, '"', s + 1, true)
              if not e then return nil, 0 end
              local l = string.sub(v, s, e)
              if string.find(l, '\\\\', 1, true) then return nil, 0 end
              return l, b
            end
            local function flush(cmd, key, t)
              for i = 1, #t, 256 do
                redis.call(cmd, key, unpack(t, i, math.min(i + 255, #t)))
              end
            end
            -- RPOP with a count (Redis >= 6.2) takes a queue's share in one call; an older server
            -- refuses the count once, and the rest of the run pops one at a time.
            local counted = true
            local function take(key, n)
              if counted and n > 1 then
                local r = redis.pcall('RPOP', key, n)
                if type(r) ~= 'table' or not r.err then
                  return r or {}
                end
                counted = false
              end
              local v = redis.call('RPOP', key)
              return v and {v} or {}
            end
            while step * nq < nkeys and total < maxTotal do
              local progress = true
              while progress and total < maxTotal do
                progress = false
                for q = 1, nq do
                  local noack = ARGV[4 + q] == '1'
                  local room = maxTotal - total
                  if not noack and maxAcked - acked < room then room = maxAcked - acked end
                  if room > 0 then
                    local ki = step * nq + q
                    -- An even share per queue of this step keeps the round robin fair.
                    local vs = take(KEYS[4 + ki], math.max(1, math.floor(room / nq)))
                    for vi = 1, #vs do
                      local v = vs[vi]
                      progress = true
                      total = total + 1
                      local tag = ''
                      if not noack then
                        acked = acked + 1
                        -- Fast path: read the three fields as text instead of decoding ~1.7 KB of JSON.
                        local tagLit = lit(v, 'delivery_tag', 1)
                        local exLit, rkLit
                        local a, b = string.find(v, '"delivery_info":', 1, true)
                        if a and not string.find(v, '"delivery_info":', b + 1, true) then
                          exLit = lit(v, 'exchange', b)
                          rkLit = lit(v, 'routing_key', b)
                        end
                        if tagLit and exLit and rkLit then
                          tag = string.sub(tagLit, 2, -2)
                        else
                          local ex, rk = '', ''
                          local ok, env = pcall(cjson.decode, v)
                          if ok and type(env) == 'table' and type(env.properties) == 'table' then
                            tag = env.properties.delivery_tag
                            local d = env.properties.delivery_info
                            if type(d) == 'table' then ex, rk = d.exchange, d.routing_key end
                          end
                          if type(tag) ~= 'string' then tag = '' end
                          if type(ex) ~= 'string' then ex = '' end
                          if type(rk) ~= 'string' then rk = '' end
                          exLit, rkLit = cjson.encode(ex), cjson.encode(rk)
                        end
                        if tag == '' then tag = 'k4j-' .. redis.sha1hex(v) end
                        pend[#pend + 1] = {#out + 3, v, exLit, rkLit, KEYS[4 + ki]}
                        tags[#tags + 1] = tag
                      end
                      out[#out + 1] = ki
                      out[#out + 1] = v
                      out[#out + 1] = tag
                    end
                  end
                end
              end
              step = step + 1
            end
            -- Tags must be unique in unacked (one message routed to two queues shares its tag): one
            -- HMGET for the batch, a suffix only where a tag is taken.
            local recs, idx, src, taken, held = {}, {}, {}, {}, {}
            for i = 1, #tags, 256 do
              local present = redis.call('HMGET', unacked, unpack(tags, i, math.min(i + 255, #tags)))
              for j = 1, #present do
                local k = i + j - 1
                local tag = tags[k]
                if present[j] or taken[tag] then
                  local base, n = tag, 1
                  repeat
                    tag = base .. '.' .. n
                    n = n + 1
                  until not taken[tag] and redis.call('HEXISTS', unacked, tag) == 0
                end
                taken[tag] = true
                local p = pend[k]
                out[p[1]] = tag
                recs[#recs + 1] = tag
                recs[#recs + 1] = '[' .. p[2] .. ',' .. p[3] .. ',' .. p[4] .. ']'
                idx[#idx + 1] = now
                idx[#idx + 1] = tag
                src[#src + 1] = tag
                src[#src + 1] = p[5]
                held[#held + 1] = leaseUntil
                held[#held + 1] = tag
              end
            end
            flush('HSET', unacked, recs)
            flush('ZADD', index, idx)
            flush('HSET', uq, src)
            if leaseUntil ~= '' then flush('ZADD', leases, held) end
            return out
            """);

    /**
     * Moves unacknowledged messages back to lists, atomically with removing their records; a tag
     * whose record is already gone (acknowledged, or restored by someone else) is skipped, so a
     * message is never duplicated. KEYS: unacked, unacked_index, unacked queues, leases, then target lists.
     * ARGV: the push command ({@link RestoreEnd#command()}: RPUSH = consumed next, LPUSH = back of the
     * queue), count, then triples:
     * tag, target index (1-based; 0 = only drop the record), envelope. Returns how many were pushed.
     */
    static final Script RESTORE = new Script("""
            local push, n = ARGV[1], tonumber(ARGV[2])
            if push ~= 'RPUSH' and push ~= 'LPUSH' then return redis.error_reply('restore: RPUSH or LPUSH, got ' .. push) end
            local present, order = {}, {}
            for i = 0, n - 1 do
              local tag = ARGV[3 + i * 3]
              if present[tag] == nil then
                present[tag] = redis.call('HEXISTS', KEYS[1], tag) == 1
                order[#order + 1] = tag
              end
            end
            local pushed = 0
            for i = 0, n - 1 do
              local tag, t, env = ARGV[3 + i * 3], tonumber(ARGV[4 + i * 3]), ARGV[5 + i * 3]
              if present[tag] and t > 0 then
                redis.call(push, KEYS[4 + t], env)
                pushed = pushed + 1
              end
            end
            for _, tag in ipairs(order) do
              redis.call('HDEL', KEYS[1], tag)
              redis.call('ZREM', KEYS[2], tag)
              redis.call('HDEL', KEYS[3], tag)
              redis.call('ZREM', KEYS[4], tag)
            end
            return pushed
            """);

    /**
     * Moves a queue's due delayed messages (score &lt;= now) from its {@code _kombu4j.delayed.<queue>} set
     * into its lists, atomically with removing them from the set, so a crash anywhere loses or
     * duplicates none. Each goes to its priority step's list at the consuming end (RPUSH; the most
     * overdue is consumed first): it has waited already, so it does not queue again behind what was
     * published meanwhile. KEYS: the set, then the lists in step order. ARGV: now (epoch ms), most to
     * move, then the step numbers in the lists' order. Returns {moved, score of the new head or -1}.
     */
    static final Script MOVE_DUE = new Script("""
            local now, max = ARGV[1], tonumber(ARGV[2])
            local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, max)
            local list = {}
            for i = 3, #ARGV do list[ARGV[i]] = KEYS[i - 1] end
            for i = #due, 1, -1 do
              local m = due[i]
              local c = string.find(m, ':', 1, true)
              local key = c and list[string.sub(m, 1, c - 1)] or KEYS[2]
              redis.call('RPUSH', key, c and string.sub(m, c + 1) or m)
            end
            for i = 1, #due, 500 do
              redis.call('ZREM', KEYS[1], unpack(due, i, math.min(i + 499, #due)))
            end
            local head = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
            return {#due, head[2] or '-1'}
            """);

    /** Counts and deletes a queue's lists atomically. KEYS: the lists. */
    static final Script PURGE = new Script("""
            local n = 0
            for _, k in ipairs(KEYS) do n = n + redis.call('LLEN', k) end
            if #KEYS > 0 then redis.call('DEL', unpack(KEYS)) end
            return n
            """);

    /** Releases Kombu's unacked_mutex if we still hold it. KEYS: mutex. ARGV: token. */
    static final Script RELEASE_MUTEX = new Script("""
            if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
            return 0
            """);
}
