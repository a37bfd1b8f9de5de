package org.kombu4j.spring;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.kombu4j.HandlerFailure;

/**
 * Marks a bean method that handles the messages of a queue. The method takes the decoded body, converted with
 * Jackson to the parameter's declared type (a record, a POJO, a {@code Map}, {@code List<T>}, {@code String}...),
 * and optionally the {@link org.kombu4j.Message} itself, in any order; its return value is ignored. The message is
 * acknowledged when the method returns; if it throws, {@link #onFailure()} decides.
 *
 * <pre>{@code
 * @KombuListener(queue = "orders", exchange = "shop", routingKey = "order.created", concurrency = 4)
 * void onOrder(OrderCreated order) { ... }
 * }</pre>
 *
 * <p>The queue is declared (and bound to {@link #exchange()}, if given) when the application starts. Each annotated
 * method gets a container of its own: its own connection, one thread taking messages and {@link #concurrency()}
 * handler threads. Values may be {@code ${...}} placeholders.
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface KombuListener {
    /** The queue to consume. */
    String queue();

    /** An exchange to declare and bind the queue to; empty (the default): the queue is bound to the default exchange only. */
    String exchange() default "";

    /** The exchange's type: {@code direct}, {@code topic}, {@code fanout} or {@code headers}. */
    String exchangeType() default "direct";

    /** The binding's routing key; empty: the queue's name. */
    String routingKey() default "";

    /** Handler threads; 0: {@code kombu4j.concurrency}. */
    int concurrency() default 0;

    /** Messages held unacknowledged at most; 0: {@code kombu4j.prefetch}. Never below the concurrency. */
    int prefetch() default 0;

    /**
     * What a handler exception does, as for any kombu4j consumer: {@link HandlerFailure#STOP} (the default, as Kombu)
     * stops this listener — it takes nothing more, lets the handlers in progress finish, and closes its connection,
     * so the failed message and those it held go back to the queue; {@link HandlerFailure#REQUEUE} requeues the
     * message and goes on; {@link HandlerFailure#REJECT} rejects it (dead-lettered where the queue has a dead-letter
     * exchange) and goes on.
     */
    HandlerFailure onFailure() default HandlerFailure.STOP;
}
