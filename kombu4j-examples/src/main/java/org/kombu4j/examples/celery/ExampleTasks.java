package org.kombu4j.examples.celery;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.kombu4j.celery.CeleryTask;
import org.kombu4j.celery.TaskCall;
import org.kombu4j.celery.TaskError;

/**
 * The example tasks, the same as the Python ones callers may know: {@code examples.add}, {@code examples.echo},
 * {@code examples.fail}, {@code examples.sleep}. Run them with
 * {@code kombu4j celery worker --tasks org.kombu4j.examples.celery.ExampleTasks}.
 */
public final class ExampleTasks {
    private ExampleTasks() {
    }

    /** {@code x + y} as Python adds: numbers (whole numbers stay whole), strings and lists. */
    @CeleryTask(name = "examples.add")
    public static Object add(Object x, Object y) {
        if (x instanceof Number a && y instanceof Number b && !(x instanceof Boolean) && !(y instanceof Boolean)) {
            if (whole(a) && whole(b)) {
                BigInteger sum = big(a).add(big(b));
                return sum.bitLength() < 64 ? (Object) sum.longValue() : sum;
            }
            return a.doubleValue() + b.doubleValue();
        }
        if (x instanceof String a && y instanceof String b) {
            return a + b;
        }
        if (x instanceof List<?> a && y instanceof List<?> b) {
            List<Object> out = new ArrayList<>(a);
            out.addAll(b);
            return out;
        }
        throw TaskError.builtin("TypeError", "unsupported operand type(s) for +: " + typeName(x) + " and "
                + typeName(y));
    }

    /** {@code {"args": [...], "kwargs": {...}}}: what it was called with. */
    @CeleryTask(name = "examples.echo")
    public static Map<String, Object> echo(TaskCall call) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("args", call.args());
        out.put("kwargs", call.kwargs());
        return out;
    }

    /** Raises {@code ValueError(message)}, as the Python example does. */
    @CeleryTask(name = "examples.fail")
    public static Object fail(@Nullable Object message) {
        throw TaskError.builtin("ValueError", String.valueOf(message));
    }

    /** Sleeps {@code seconds} and returns them. */
    @CeleryTask(name = "examples.sleep")
    public static Number sleep(Number seconds) throws InterruptedException {
        long ms = Math.round(seconds.doubleValue() * 1000);
        if (ms < 0) {
            throw TaskError.builtin("ValueError", "sleep length must be non-negative");
        }
        Thread.sleep(ms);
        return seconds;
    }

    private static boolean whole(Number n) {
        return n instanceof Integer || n instanceof Long || n instanceof Short || n instanceof Byte
                || n instanceof BigInteger;
    }

    private static BigInteger big(Number n) {
        return n instanceof BigInteger b ? b : BigInteger.valueOf(n.longValue());
    }

    private static String typeName(@Nullable Object v) {
        if (v == null) {
            return "'NoneType'";
        }
        if (v instanceof String) {
            return "'str'";
        }
        if (v instanceof Number) {
            return v instanceof Double || v instanceof Float ? "'float'" : "'int'";
        }
        if (v instanceof List) {
            return "'list'";
        }
        if (v instanceof Map) {
            return "'dict'";
        }
        return "'" + v.getClass().getSimpleName() + "'";
    }
}
