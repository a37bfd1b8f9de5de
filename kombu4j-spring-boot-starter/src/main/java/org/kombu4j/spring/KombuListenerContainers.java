package org.kombu4j.spring;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.kombu4j.spring.KombuListenerAnnotationProcessor.Found;
import org.springframework.context.SmartLifecycle;

/**
 * Starts a {@link KombuListenerContainer} for every {@link KombuListener} method once the context is refreshed, and
 * stops them all together when it closes: they stop taking at once, and share one {@code kombu4j.shutdown-timeout}
 * for the handlers in progress. Stopped in the default phase, i.e. before the web server and other lower phases, and
 * before any bean (the application's {@link org.kombu4j.Connection} included) is destroyed.
 */
public class KombuListenerContainers implements SmartLifecycle {
    private final KombuListenerAnnotationProcessor processor;
    private final KombuConnectionFactory connections;
    private final KombuProperties properties;
    private final BodyConverter converter;
    private final List<KombuListenerContainer> containers = new ArrayList<>();
    private boolean running;

    public KombuListenerContainers(KombuListenerAnnotationProcessor processor, KombuConnectionFactory connections,
            KombuProperties properties, ObjectMapper mapper) {
        this.processor = processor;
        this.connections = connections;
        this.properties = properties;
        this.converter = new BodyConverter(mapper);
    }

    @Override
    public synchronized void start() {
        if (running) {
            return;
        }
        List<ListenerMethod> methods = new ArrayList<>();
        for (Found f : processor.found()) {
            methods.add(new ListenerMethod(f.bean(), f.method(), f.annotation(), new ListenerMethod.Resolved(f.queue(),
                    f.exchange(), f.exchangeType(), f.routingKey(), properties.getConcurrency(), properties.getPrefetch()),
                    converter));
        }
        try {
            for (ListenerMethod m : methods) {
                KombuListenerContainer c = new KombuListenerContainer(m, connections, properties.getAccept(),
                        properties.getShutdownTimeout());
                c.start();
                containers.add(c);
            }
        } catch (RuntimeException e) {
            stopAll();
            throw e;
        }
        running = true;
    }

    @Override
    public synchronized void stop() {
        if (running) {
            stopAll();
            running = false;
        }
    }

    private void stopAll() {
        long deadline = System.nanoTime() + properties.getShutdownTimeout().toNanos();
        containers.forEach(KombuListenerContainer::requestStop);
        for (KombuListenerContainer c : containers) {
            c.awaitStop(deadline);
        }
        containers.clear();
    }

    @Override
    public synchronized boolean isRunning() {
        return running;
    }

    /** Queue → state of each listener ({@code consuming}, {@code reconnecting: ...}, {@code stopped: ...}). */
    public synchronized Map<String, String> states() {
        Map<String, String> out = new LinkedHashMap<>();
        for (KombuListenerContainer c : containers) {
            out.put(c.queue(), c.state());
        }
        return out;
    }
}
