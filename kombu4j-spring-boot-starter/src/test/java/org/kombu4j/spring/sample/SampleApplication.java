package org.kombu4j.spring.sample;

import java.math.BigDecimal;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import org.kombu4j.Message;
import org.kombu4j.spring.KombuListener;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.stereotype.Component;

/** A sample application as a user writes it: one listener method taking a record, nothing else configured. */
@SpringBootApplication
public class SampleApplication {
    /** The message type: what a Python producer sends as a JSON object. */
    public record Order(int id, String item, List<String> tags, BigDecimal price) {
    }

    /** The listener; {@code sample.*} properties name the queue and exchange. */
    @Component
    public static class OrderListener {
        /** What it received, in order, for the tests to look at. */
        public final BlockingQueue<Order> received = new LinkedBlockingQueue<>();
        /** Whether each message came with its Message and was still unsettled in the method. */
        public final BlockingQueue<Boolean> unsettled = new LinkedBlockingQueue<>();

        @KombuListener(queue = "${sample.queue}", exchange = "${sample.exchange}", routingKey = "order.created",
                concurrency = 2)
        public void onOrder(Order order, Message message) {
            unsettled.add(!message.isSettled());
            received.add(order);
        }
    }
}
