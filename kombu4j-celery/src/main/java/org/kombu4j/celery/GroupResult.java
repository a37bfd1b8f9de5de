package org.kombu4j.celery;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/** The results of a {@link CeleryClient#group group}, Celery's {@code GroupResult}: the group's id and one result per task, in order. */
public final class GroupResult {
    private final String id;
    private final List<AsyncResult> results;

    GroupResult(String id, List<AsyncResult> results) {
        this.id = Objects.requireNonNull(id, "id");
        this.results = List.copyOf(results);
    }

    /** The group's id (the {@code group} header of its tasks). */
    public String id() {
        return id;
    }

    /** One result per task, in the order the tasks were given. */
    public List<AsyncResult> results() {
        return results;
    }

    /**
     * Waits for every task, Celery's {@code GroupResult.get()}: their values in order, or the first failure thrown.
     * {@code timeout} is for the whole group.
     *
     * @throws TaskFailedException if a task failed or was revoked
     * @throws ResultTimeoutException if not every result came within {@code timeout}
     */
    public List<@Nullable Object> get(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<@Nullable Object> values = new ArrayList<>(results.size());
        for (AsyncResult r : results) {
            values.add(r.get(Duration.ofNanos(Math.max(0, deadline - System.nanoTime()))));
        }
        return values;
    }

    @Override
    public String toString() {
        return "GroupResult[" + id + ", " + results.size() + " tasks]";
    }
}
