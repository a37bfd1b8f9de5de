package org.kombu4j.celery;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/** The futures of the task ids a backend waits for: one per id, removed once it completes. */
final class Waiting {
    private final Map<String, CompletableFuture<TaskResult>> futures = new ConcurrentHashMap<>();

    /** A future of {@link #register}, and whether that call made it (so the backend must start waiting). */
    record Entry(CompletableFuture<TaskResult> future, boolean created) {
    }

    /** The future of {@code id}, made if there is none; {@code onDone} runs (once) when a made one completes. */
    Entry register(String id, Runnable onDone) {
        CompletableFuture<TaskResult> created = new CompletableFuture<>();
        CompletableFuture<TaskResult> f = futures.putIfAbsent(id, created);
        if (f != null) {
            return new Entry(f, false);
        }
        created.whenComplete((r, e) -> onDone.run());
        return new Entry(created, true);
    }

    @Nullable CompletableFuture<TaskResult> get(String id) {
        return futures.get(id);
    }

    @Nullable CompletableFuture<TaskResult> remove(String id) {
        return futures.remove(id);
    }

    List<String> ids() {
        return new ArrayList<>(futures.keySet());
    }

    /** Completes {@code r}'s future if someone waits for it and it is final; false if nobody waits. */
    boolean complete(String id, TaskResult r) {
        CompletableFuture<TaskResult> f = futures.get(id);
        if (f == null) {
            return false;
        }
        if (r.isReady()) {
            f.complete(r);
        }
        return true;
    }

    void failAll(Throwable why) {
        futures.values().forEach(f -> f.completeExceptionally(why));
        futures.clear();
    }
}
