package org.kombu4j.redis.internal;

import java.nio.channels.SelectionKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * The synchronous use of a {@link RedisConnection}: send, then wait on its private selector until the
 * replies are in, within the command timeout. Only for a caller that is the connection's one reader.
 */
final class SyncCalls {
    private SyncCalls() {
    }

    /** See {@link RedisConnection#awaitPending}. */
    static void awaitPending(RedisConnection c, int maxPending) {
        long deadline = c.commandDeadline();
        flushAll(c, deadline);
        while (c.pendingReplies() > maxPending) {
            // Replies are usually waiting already: one read instead of a select and then a read.
            if (c.onReadable() == 0) {
                c.waitFor(SelectionKey.OP_READ, deadline, c.endpoint().commandTimeout(), "pipelined replies");
                c.onReadable();
            }
            flushAll(c, deadline); // a callback may have queued a command (a NOSCRIPT retry)
        }
    }

    /** See {@link RedisConnection#pipeline}. */
    static List<@Nullable Object> pipeline(RedisConnection c, List<? extends List<?>> commands) {
        @Nullable Object[] replies = new Object[commands.size()];
        int[] got = {0};
        List<Consumer<@Nullable Object>> cbs = new ArrayList<>(commands.size());
        for (int i = 0; i < commands.size(); i++) {
            int idx = i;
            cbs.add(r -> {
                replies[idx] = r;
                got[0]++;
            });
        }
        c.sendAll(commands, cbs);
        long deadline = c.commandDeadline();
        flushAll(c, deadline);
        while (got[0] < replies.length) {
            c.waitFor(SelectionKey.OP_READ, deadline, c.endpoint().commandTimeout(), "reply to " + commands.get(got[0]).get(0));
            c.onReadable();
        }
        return new ArrayList<>(Arrays.asList(replies));
    }

    private static void flushAll(RedisConnection c, long deadline) {
        while (!c.flush()) {
            c.waitFor(SelectionKey.OP_WRITE, deadline, c.endpoint().commandTimeout(), "write");
        }
    }
}
