package org.kombu4j.observe;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.kombu4j.Connection;
import org.kombu4j.Exchange;
import org.kombu4j.HandlerFailure;
import org.kombu4j.Message;
import org.kombu4j.PublishOptions;
import org.kombu4j.Queue;
import org.kombu4j.Worker;

/** The listener hooks on {@code memory://}: what each step of a message's life tells the observers. */
class ObserverOnMemoryTest {
    private final String url = "memory://obs" + UUID.randomUUID().toString().substring(0, 8);

    @Test
    void publishDeliverAckAndCloseAreToldInOrder() {
        RecordingObserver rec = new RecordingObserver();
        Queue q = Queue.of("orders");
        try (Connection conn = Connection.builder(url).observer(rec).build()) {
            conn.producer().publish("one", PublishOptions.builder().routingKey("orders").declare(q).build());
            conn.consumer(q).onMessage((body, m) -> m.ack()).consume();
            assertThat(conn.drainEvents(Duration.ofSeconds(2))).isTrue();
        }
        assertThat(rec.events).containsExactly("connected", "published::orders", "delivered:orders", "acknowledged:orders",
                "handled:orders:ok", "closed");
        assertThat(rec.handlerNanos).hasSize(1);
    }

    @Test
    void requeueThenRedeliveryThenDeadLetter() {
        RecordingObserver rec = new RecordingObserver();
        Exchange dlx = Exchange.direct("obs-dlx");
        Queue dead = Queue.of("obs-dead", dlx, "dead");
        Queue q = Queue.named("obs-work").deadLetter(dlx.name(), "dead").build();
        try (Connection conn = Connection.builder(url).observer(rec).build()) {
            conn.producer().publish("x", PublishOptions.builder().routingKey(q.name()).declare(q).declare(dead).build());
            int[] n = {0};
            conn.consumer(q).onMessage((body, m) -> {
                if (n[0]++ == 0) {
                    m.requeue();
                } else {
                    m.deadLetter("too-old");
                }
            }).consume();
            for (int i = 0; i < 20 && n[0] < 2; i++) {
                conn.drainEvents(Duration.ofMillis(200));
            }
            assertThat(n[0]).isEqualTo(2);
            Message d = conn.simpleQueue("obs-dead").get(Duration.ofSeconds(2));
            d.reject(false);
        }
        assertThat(rec.events).containsSubsequence("delivered:obs-work", "rejected:obs-work:requeue", "handled:obs-work:ok",
                "delivered:obs-work", "redelivered:obs-work", "deadLettered:obs-work:too-old", "handled:obs-work:ok",
                "delivered:obs-dead", "rejected:obs-dead:drop");
        assertThat(rec.only("redelivered")).hasSize(1);
    }

    @Test
    void handlerTimeAndFailureAreReported() {
        RecordingObserver rec = new RecordingObserver();
        Queue q = Queue.of("slow");
        try (Connection conn = Connection.builder(url).observer(rec).build()) {
            conn.producer().publish("a", PublishOptions.builder().routingKey("slow").declare(q).build());
            conn.producer().publish("b", "slow");
            conn.consumer(q).onHandlerFailure(HandlerFailure.REJECT).onMessage((body, m) -> {
                if ("a".equals(body)) {
                    java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(60));
                    m.ack();
                } else {
                    throw new IllegalStateException("bad b");
                }
            }).consume();
            conn.drainEvents(Duration.ofSeconds(2));
            conn.drainEvents(Duration.ofSeconds(2));
        }
        assertThat(rec.only("handled")).containsExactly("handled:slow:ok", "handled:slow:IllegalStateException");
        assertThat(rec.handlerNanos.get(0)).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(50));
        assertThat(rec.only("rejected")).containsExactly("rejected:slow:drop");
    }

    @Test
    void headersAddedWhilePublishingTravelWithTheMessage() {
        KombuObserver stamping = new KombuObserver() {
            @Override
            public Object publishing(Publication p) {
                p.setHeader("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
                return null;
            }
        };
        Queue q = Queue.of("stamped");
        try (Connection conn = Connection.builder(url).observer(stamping).build()) {
            conn.producer().publish("hi", PublishOptions.builder().routingKey("stamped").declare(q)
                    .header("app", "x").build());
            Message m = conn.simpleQueue("stamped").get(Duration.ofSeconds(2));
            assertThat(m.headers()).containsEntry("app", "x")
                    .containsEntry("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
            m.ack();
        }
    }

    @Test
    void aThrowingObserverChangesNothingAndTheNextIsStillTold() {
        KombuObserver broken = new KombuObserver() {
            @Override
            public Object publishing(Publication p) {
                throw new IllegalStateException("broken observer");
            }

            @Override
            public void delivered(Message m) {
                throw new IllegalStateException("broken observer");
            }

            @Override
            public void acknowledged(Message m) {
                throw new IllegalStateException("broken observer");
            }
        };
        RecordingObserver rec = new RecordingObserver();
        Queue q = Queue.of("sturdy");
        try (Connection conn = Connection.builder(url).observer(broken).observer(rec).build()) {
            conn.producer().publish("x", PublishOptions.builder().routingKey("sturdy").declare(q).build());
            Message m = conn.simpleQueue("sturdy").get(Duration.ofSeconds(2));
            m.ack();
            assertThat(m.state()).isEqualTo(Message.State.ACKNOWLEDGED);
        }
        assertThat(rec.events).contains("published::sturdy", "delivered:sturdy", "acknowledged:sturdy");
    }

    @Test
    void aWorkerReportsHandlerRunsOnItsOwnThreads() throws Exception {
        RecordingObserver rec = new RecordingObserver();
        Queue q = Queue.of("wq");
        CountDownLatch done = new CountDownLatch(3);
        try (Connection conn = Connection.builder(url).observer(rec).build()) {
            for (int i = 0; i < 3; i++) {
                conn.producer().publish(i, PublishOptions.builder().routingKey("wq").declare(q).build());
            }
            Worker w = Worker.builder(conn).queues(q).concurrency(2).name("obsw").onMessage((body, m) -> {
                m.ack();
                done.countDown();
            }).build();
            w.start();
            try {
                assertThat(done.await(5, TimeUnit.SECONDS)).isTrue();
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (rec.only("handled").size() < 3 && System.nanoTime() < until) {
                    Thread.sleep(10);
                }
            } finally {
                w.stop(Duration.ofSeconds(5));
            }
        }
        assertThat(rec.only("handled")).containsOnly("handled:wq:ok").hasSize(3);
        assertThat(rec.only("delivered")).hasSize(3);
        assertThat(rec.handlerThreads).allSatisfy(t -> assertThat(t).contains("obsw"));
    }

    @Test
    void withoutObserversNothingIsAllocatedForThem() {
        try (Connection conn = Connection.open(url)) {
            assertThat(KombuObserver.compose(List.of())).isNull();
            conn.producer().publish("x", "nobody");
        }
    }
}
