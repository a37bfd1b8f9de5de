package org.kombu4j.celery;

import java.time.Duration;
import java.util.Map;

/** Java tasks for the worker tests (kombu4j-examples' ExampleTasks is tested through the command). */
public final class JavaTasks {
    @CeleryTask(name = "examples.add")
    public static long add(long x, long y) {
        return x + y;
    }

    @CeleryTask(name = "examples.echo")
    public static Map<String, Object> echo(TaskCall call) {
        return Map.of("args", call.args(), "kwargs", call.kwargs());
    }

    @CeleryTask(name = "examples.fail")
    public static Object fail(String message) {
        throw TaskError.builtin("ValueError", message);
    }

    @CeleryTask(name = "examples.javafail")
    public static Object javaFail(String message) {
        throw new IllegalStateException(message);
    }

    @CeleryTask(name = "examples.sleep")
    public static Number sleep(Number seconds) throws InterruptedException {
        Thread.sleep(Math.round(seconds.doubleValue() * 1000));
        return seconds;
    }

    @CeleryTask(name = "examples.now")
    public static double now() {
        return System.currentTimeMillis() / 1000.0;
    }

    /** Asks for a retry in one second until it has been retried {@code times} times, then returns the count. */
    @CeleryTask(name = "examples.flaky", maxRetries = 5)
    public static int flaky(TaskCall call) {
        int times = ((Number) call.args().get(0)).intValue();
        if (call.retries() < times) {
            throw new Retry(Duration.ofSeconds(1), new IllegalStateException("not yet"));
        }
        return call.retries();
    }
}
