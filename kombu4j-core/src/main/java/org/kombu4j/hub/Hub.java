package org.kombu4j.hub;
// TEMPORARY STUB - replaced by the hub branch.
public final class Hub implements AutoCloseable {
    private final java.util.concurrent.LinkedBlockingQueue<Runnable> q = new java.util.concurrent.LinkedBlockingQueue<>();
    private volatile boolean stopped; private volatile Thread thread;
    public void callSoon(Runnable r) { q.add(r); }
    public TimerEntry callLater(java.time.Duration d, Runnable r) { throw new UnsupportedOperationException(); }
    public boolean inHubThread() { return Thread.currentThread() == thread; }
    public boolean isClosed() { return false; }
    public void onClose(Runnable r) { }
    public void runForever() { thread = Thread.currentThread(); stopped = false; while (!stopped) { try { Runnable r = q.poll(50, java.util.concurrent.TimeUnit.MILLISECONDS); if (r != null) r.run(); } catch (InterruptedException e) { return; } } }
    public void runOnce(java.time.Duration d) { thread = Thread.currentThread(); try { Runnable r = q.poll(d.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS); if (r != null) r.run(); } catch (InterruptedException e) { } }
    public void stop() { stopped = true; }
    public void close() { stopped = true; }
}
