package org.kombu4j;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Publishes many messages without waiting for each one's confirm, and then learns the fate of every
 * one: at most {@code window} messages await the broker's confirm at a time ({@link #publish} blocks
 * while the window is full), and {@link #await} waits for the rest and lists each message that was not
 * confirmed, by its index in the batch. On transports without confirms every publish that returned counts
 * as confirmed. One thread publishes; settling happens on the transport's threads.
 *
 * <pre>{@code
 * PublishBatch batch = producer.batch(1000);
 * for (Object body : bodies) batch.publish(body, opts);
 * PublishBatch.Result r = batch.await(Duration.ofSeconds(30));
 * if (!r.allConfirmed()) r.failures().forEach(f -> log.error("message {}: {}", f.index(), f.cause().getMessage()));
 * }</pre>
 */
public final class PublishBatch {
    /**
     * The window of {@link Producer#batch()}: as RabbitMQ's PerfTest and the bench's raw client, large
     * enough that the broker's batched confirms never stall the publisher on a local broker.
     */
    public static final int DEFAULT_WINDOW = 10_000;

    private final Producer producer;
    private final int window;
    private final Semaphore room;
    private final List<Failure> failures = new ArrayList<>();
    // Indexes sent and not settled yet, to name them if they never settle.
    private final ConcurrentSkipListSet<Long> unsettled = new ConcurrentSkipListSet<>();
    private long published;
    private long confirmed;

    /** A message of the batch that the broker did not confirm, and why. */
    public record Failure(long index, Throwable cause) {
    }

    /**
     * What became of the batch.
     *
     * @param published messages sent
     * @param confirmed of those, how many the broker confirmed
     * @param failures the others, in the order they failed (a message not settled in time included)
     */
    public record Result(long published, long confirmed, List<Failure> failures) {
        public Result {
            failures = List.copyOf(failures);
        }

        public boolean allConfirmed() {
            return confirmed == published;
        }
    }

    PublishBatch(Producer producer, int window) {
        if (window < 1) {
            throw new ConfigurationException("the confirm window must be at least 1, got " + window);
        }
        this.producer = Objects.requireNonNull(producer, "producer");
        this.window = window;
        this.room = new Semaphore(window);
    }

    /**
     * Publishes the next message of the batch, waiting while {@code window} messages await their confirm.
     *
     * @return its index in the batch (0 for the first)
     * @throws KombuException if it could not be sent at all (then it is not part of the batch)
     */
    public long publish(@Nullable Object body, PublishOptions options) {
        try {
            room.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OperationalException("interrupted while waiting for room in the confirm window", e);
        }
        CompletableFuture<Void> f;
        try {
            f = producer.publishTracked(body, options);
        } catch (RuntimeException e) {
            room.release();
            throw e;
        }
        long index;
        synchronized (this) {
            index = published++;
        }
        unsettled.add(index);
        f.whenComplete((ok, error) -> settled(index, error));
        return index;
    }

    private void settled(long index, @Nullable Throwable error) {
        unsettled.remove(index);
        synchronized (this) {
            if (error == null) {
                confirmed++;
            } else {
                failures.add(new Failure(index, error instanceof CompletionException && error.getCause() != null
                        ? error.getCause() : error));
            }
        }
        room.release();
    }

    /** How many messages await their confirm now. */
    public int outstanding() {
        return window - room.availablePermits();
    }

    /**
     * Waits until every message published so far is confirmed or failed, at most {@code timeout}; those
     * still unsettled then are reported as failed (the broker may or may not have them).
     */
    public Result await(Duration timeout) {
        boolean all;
        try {
            all = room.tryAcquire(window, timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OperationalException("interrupted while waiting for publisher confirms", e);
        }
        if (all) {
            room.release(window);
        }
        synchronized (this) {
            List<Failure> out = new ArrayList<>(failures);
            if (!unsettled.isEmpty()) {
                OperationalException late = new OperationalException("not confirmed within " + timeout.toMillis()
                        + " ms; the broker may or may not have it");
                for (long index : unsettled) {
                    out.add(new Failure(index, late));
                }
            }
            return new Result(published, confirmed, out);
        }
    }
}
