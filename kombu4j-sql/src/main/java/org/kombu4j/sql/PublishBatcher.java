package org.kombu4j.sql;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.kombu4j.KombuException;
import org.kombu4j.OperationalException;
import org.kombu4j.transport.Unroutable;
import org.kombu4j.transport.OutgoingMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pipelined publishing ({@code publish_pipeline=N}): a publish is queued and returns; a writer thread
 * with its own connection writes whatever is queued (up to N) in one transaction, so a commit's
 * round trip and flush are paid once per batch. At most N publishes wait, so a fast producer is held
 * back rather than buffering without bound.
 *
 * <p>Nothing is dropped silently: a batch whose connection broke is written again on a new connection,
 * with back-off, for up to {@code connect_timeout} while publishers wait (a commit whose reply was lost
 * may thus be written twice: at least once, as everywhere in kombu4j); a batch that still fails is reported by the next publish and by close, with how many
 * messages it held, as a {@link KombuException} (not retryable: retrying that publish would not bring
 * them back).
 */
final class PublishBatcher {
    private static final Logger log = LoggerFactory.getLogger(PublishBatcher.class);

    private record Item(SqlInserts.Pending pending, OutgoingMessage message) {
    }

    private final SqlTransport transport;
    private final SqlUrl url;
    private final int window;
    private final ArrayBlockingQueue<Item> queue;
    /** Failures not yet reported; each taken by one thread only, so none is lost or changed while thrown. */
    private final ConcurrentLinkedQueue<KombuException> failures = new ConcurrentLinkedQueue<>();
    private final Object idle = new Object();
    private int writing; // guarded by idle: items taken from the queue and not yet written
    private volatile boolean running = true;
    private final Thread thread;
    private @Nullable SqlStore store; // writer thread only

    PublishBatcher(SqlTransport transport, SqlUrl url, int window) {
        this.transport = transport;
        this.url = url;
        this.window = window;
        this.queue = new ArrayBlockingQueue<>(window);
        this.thread = new Thread(this::run, "kombu4j-sql-publisher");
        thread.setDaemon(true);
        thread.start();
    }

    /** Queues a publish of {@code message}; an unroutable one is reported when it is mandatory, logged otherwise. */
    void submit(SqlInserts.Pending pending, OutgoingMessage message) {
        throwFailure();
        if (!running) {
            throw new org.kombu4j.ClosedException("the SQL transport for " + url.describe() + " is closed");
        }
        try {
            queue.put(new Item(pending, message));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OperationalException("interrupted while waiting to publish to " + url.describe(), e);
        }
    }

    private void throwFailure() {
        KombuException f = takeFailure();
        if (f != null) {
            throw f;
        }
    }

    /** The failures not yet reported, as the first with the others suppressed in it; or null. */
    private @Nullable KombuException takeFailure() {
        KombuException first = failures.poll();
        if (first != null) {
            for (KombuException more; (more = failures.poll()) != null; ) {
                first.addSuppressed(more);
            }
        }
        return first;
    }

    private void run() {
        List<Item> batch = new ArrayList<>(window);
        while (running || !queue.isEmpty()) {
            try {
                Item first = queue.poll(50, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                synchronized (idle) {
                    batch.add(first);
                    queue.drainTo(batch, window - 1);
                    writing = batch.size();
                }
                write(batch);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } finally {
                batch.clear();
                synchronized (idle) {
                    writing = 0;
                    idle.notifyAll();
                }
            }
        }
        if (store != null) {
            store.close();
            store = null;
        }
    }

    private void write(List<Item> batch) {
        List<SqlInserts.Pending> pending = new ArrayList<>(batch.size());
        for (Item i : batch) {
            pending.add(i.pending());
        }
        int[] rows;
        // A lost connection is tried again, with back-off, for up to connect_timeout: the queue is full
        // meanwhile, so publishers wait instead of piling up failures over a short outage.
        long giveUp = System.nanoTime() + url.options().connectTimeout().toNanos();
        long backoff = TimeUnit.MILLISECONDS.toNanos(50);
        while (true) {
            try {
                rows = attempt(pending);
                break;
            } catch (SQLException | KombuException e) {
                boolean lost = e instanceof SQLException s ? SqlErrors.isConnectionLoss(s) : e instanceof OperationalException;
                if (!lost || System.nanoTime() + backoff > giveUp || !running) {
                    fail(batch.size(), e);
                    return;
                }
                java.util.concurrent.locks.LockSupport.parkNanos(backoff);
                backoff = Math.min(TimeUnit.SECONDS.toNanos(1), backoff * 2);
            }
        }
        boolean any = false;
        long firstDue = Long.MAX_VALUE;
        for (int k = 0; k < rows.length; k++) {
            long at = pending.get(k).deliverAt();
            if (rows[k] > 0 && at != 0) {
                firstDue = Math.min(firstDue, at);
            } else {
                any |= rows[k] > 0;
            }
            OutgoingMessage m = batch.get(k).message();
            if (rows[k] == 0 && m.mandatory()) {
                failures.add(Unroutable.returned(m.exchange(), m.routingKey()));
            } else if (rows[k] == 0) {
                Unroutable.dropped(m.exchange(), m.routingKey());
            }
        }
        if (any) {
            transport.published();
        }
        if (firstDue != Long.MAX_VALUE) {
            transport.published(firstDue);
        }
    }

    private int[] attempt(List<SqlInserts.Pending> pending) throws SQLException {
        if (store == null) {
            store = transport.openStore();
        }
        try {
            return store.inserts().insertBatch(pending);
        } catch (SQLException e) {
            if (SqlErrors.isConnectionLoss(e)) {
                store.close();
                store = null;
            }
            throw e;
        }
    }

    private void fail(int count, Exception e) {
        String msg = count + " pipelined publish" + (count == 1 ? "" : "es") + " to " + url.describe()
                + " may not have been written: " + SqlErrors.firstLine(e.getMessage());
        log.warn(msg);
        // Not an OperationalException: retrying the publish that reports it (Connection.ensure) would not bring
        // these back, only hide them, and resetting the transport for it would drop later reports in its close.
        failures.add(new KombuException(msg, e));
    }

    boolean isWriterThread() {
        return Thread.currentThread() == thread;
    }

    /** Waits until every queued publish was written (or failed). */
    void flush(long timeoutMillis) {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        synchronized (idle) {
            while ((!queue.isEmpty() || writing > 0) && thread.isAlive()) {
                long left = deadline - System.currentTimeMillis();
                if (left <= 0) {
                    break;
                }
                try {
                    idle.wait(Math.min(left, 50));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
    }

    /** Writes what is queued, stops, and returns a failure to report (or null). */
    @Nullable KombuException close() {
        flush(30_000);
        running = false;
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        int left = queue.size();
        if (left > 0) {
            fail(left, new OperationalException("the transport closed before they were written"));
        }
        return takeFailure();
    }
}
