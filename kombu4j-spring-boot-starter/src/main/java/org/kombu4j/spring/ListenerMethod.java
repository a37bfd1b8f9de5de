package org.kombu4j.spring;

import com.fasterxml.jackson.databind.JavaType;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Type;
import org.jspecify.annotations.Nullable;
import org.kombu4j.Exchange;
import org.kombu4j.ExchangeType;
import org.kombu4j.HandlerFailure;
import org.kombu4j.Message;
import org.kombu4j.Queue;

/**
 * One {@link KombuListener} method with its settings resolved: the queue (and its binding), concurrency, prefetch,
 * failure policy, and how to call the method with a message. Checked when found, so that a bad signature stops the
 * application at start with the method named.
 */
final class ListenerMethod {
    private final Object bean;
    private final Method method;
    private final Queue queue;
    private final int concurrency;
    private final int prefetch;
    private final HandlerFailure onFailure;
    /** Per parameter: the type the body is converted to, or null for the {@link Message} parameter. */
    private final @Nullable JavaType[] parameters;
    private final BodyConverter converter;

    ListenerMethod(Object bean, Method method, KombuListener annotation, Resolved settings, BodyConverter converter) {
        this.bean = bean;
        this.method = method;
        this.converter = converter;
        this.onFailure = annotation.onFailure();
        if (settings.queue.isBlank()) {
            throw new IllegalStateException("@KombuListener on " + describe(method) + " names no queue");
        }
        if (settings.exchange.isEmpty()) {
            if (!settings.routingKey.isEmpty()) {
                throw new IllegalStateException("@KombuListener on " + describe(method) + " gives routingKey '"
                        + settings.routingKey + "' but no exchange to bind it to");
            }
            this.queue = Queue.of(settings.queue);
        } else {
            ExchangeType type;
            try {
                type = ExchangeType.of(settings.exchangeType);
            } catch (RuntimeException e) {
                throw new IllegalStateException("@KombuListener on " + describe(method) + ": bad exchangeType '"
                        + settings.exchangeType + "': " + e.getMessage(), e);
            }
            String key = settings.routingKey.isEmpty() ? settings.queue : settings.routingKey;
            this.queue = Queue.of(settings.queue, Exchange.of(settings.exchange, type), key);
        }
        this.concurrency = annotation.concurrency() > 0 ? annotation.concurrency() : settings.defaultConcurrency;
        if (annotation.concurrency() < 0 || annotation.prefetch() < 0) {
            throw new IllegalStateException("@KombuListener on " + describe(method)
                    + ": concurrency and prefetch must not be negative");
        }
        int p = annotation.prefetch() > 0 ? annotation.prefetch() : settings.defaultPrefetch;
        this.prefetch = Math.max(p, concurrency);
        Type[] types = method.getGenericParameterTypes();
        this.parameters = new JavaType[types.length];
        int bodies = 0;
        int messages = 0;
        for (int i = 0; i < types.length; i++) {
            if (method.getParameterTypes()[i] == Message.class) {
                messages++;
            } else {
                parameters[i] = converter.typeOf(types[i]);
                bodies++;
            }
        }
        if (bodies > 1 || messages > 1) {
            throw new IllegalStateException("@KombuListener method " + describe(method)
                    + " must take at most one body parameter and at most one org.kombu4j.Message, got " + types.length
                    + " parameters");
        }
        method.setAccessible(true);
    }

    /** The annotation's strings after placeholder resolution, with the property defaults. */
    record Resolved(String queue, String exchange, String exchangeType, String routingKey, int defaultConcurrency,
            int defaultPrefetch) {
    }

    Queue queue() {
        return queue;
    }

    int concurrency() {
        return concurrency;
    }

    int prefetch() {
        return prefetch;
    }

    HandlerFailure onFailure() {
        return onFailure;
    }

    /** Converts the body and calls the method; what the method throws is rethrown as it is. */
    void invoke(@Nullable Object body, Message message) throws Exception {
        Object[] args = new Object[parameters.length];
        for (int i = 0; i < args.length; i++) {
            JavaType t = parameters[i];
            args[i] = t == null ? message : converter.convert(body, t);
        }
        try {
            method.invoke(bean, args);
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (cause instanceof Exception ex) {
                throw ex;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw e;
        }
    }

    @Override
    public String toString() {
        return describe(method);
    }

    static String describe(Method method) {
        return method.getDeclaringClass().getName() + "." + method.getName();
    }
}
