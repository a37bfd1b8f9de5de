package org.kombu4j;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/** Run in a child JVM by {@link WorkerTest}: exits while a handler runs, which the worker's shutdown hook lets finish. */
public final class WorkerHookChild {
    private WorkerHookChild() {
    }

    public static void main(String[] args) throws Exception {
        Connection c = Connection.open("memory://hook");
        Queue q = Queue.of("hook");
        c.producer().publish("job", PublishOptions.builder().routingKey(q.name()).declare(q).build());
        CountDownLatch started = new CountDownLatch(1);
        Worker.builder(c).queues(q).concurrency(1).shutdownHook(Duration.ofSeconds(20)).onMessage((body, m) -> {
            System.out.println("handler started");
            started.countDown();
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                System.out.println("handler interrupted");
                return;
            }
            System.out.println("handler finished");
            m.ack();
            System.out.println("acked");
        }).build().start();
        started.await();
        System.out.println("exiting");
        System.exit(0);
    }
}
