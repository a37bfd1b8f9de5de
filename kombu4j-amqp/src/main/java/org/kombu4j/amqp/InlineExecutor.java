package org.kombu4j.amqp;

import java.util.List;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The RabbitMQ client's consumer executor for kombu4j: runs each consumer callback on the thread that hands it
 * over, the connection's reader thread, instead of a pool thread.
 *
 * <p>Why: kombu4j's consumer callbacks ({@code AmqpChannel}'s {@code handleDelivery} and the client's own
 * bookkeeping) never block and never call the broker; {@code handleDelivery} only records the tag and posts the
 * message to kombu4j's delivery thread, where handlers run. A pool in between was one more thread hop and
 * wake-up per delivery, on a machine whose cores the broker shares. The client's work pool still serializes the
 * callbacks of each channel, so their order is kept.
 */
final class InlineExecutor extends AbstractExecutorService {
    static final InlineExecutor INSTANCE = new InlineExecutor();

    private InlineExecutor() {
    }

    @Override
    public void execute(Runnable command) {
        command.run();
    }

    /** Shared by every connection: never shut down. */
    @Override
    public void shutdown() {
    }

    @Override
    public List<Runnable> shutdownNow() {
        return List.of();
    }

    @Override
    public boolean isShutdown() {
        return false;
    }

    @Override
    public boolean isTerminated() {
        return false;
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) {
        return true;
    }
}
