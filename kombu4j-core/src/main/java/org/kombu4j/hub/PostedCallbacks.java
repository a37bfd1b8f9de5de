package org.kombu4j.hub;

import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;

/**
 * The callbacks posted to a {@link Hub} from any thread, lock-free: a Treiber stack, newest first,
 * that the loop takes whole and runs oldest first.
 */
final class PostedCallbacks {
    private final AtomicReference<@Nullable Task> top = new AtomicReference<>();

    /** One posted callback; {@link #next} is the one posted after it once taken. */
    static final class Task {
        final Runnable callback;
        private @Nullable Task next;

        private Task(Runnable callback) {
            this.callback = callback;
        }

        @Nullable Task next() {
            return next;
        }
    }

    /** Posts {@code callback}. Any thread. */
    void push(Runnable callback) {
        Task task = new Task(callback);
        Task head;
        do {
            head = top.get();
            task.next = head;
        } while (!top.compareAndSet(head, task));
    }

    /** Whether nothing is posted. */
    boolean isEmpty() {
        return top.get() == null;
    }

    /** Takes everything posted so far and returns it oldest first (follow {@link Task#next()}). */
    @Nullable Task takeAll() {
        Task task = top.getAndSet(null);
        Task fifo = null;
        while (task != null) {
            Task next = task.next;
            task.next = fifo;
            fifo = task;
            task = next;
        }
        return fifo;
    }
}
