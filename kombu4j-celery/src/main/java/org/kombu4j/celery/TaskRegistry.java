package org.kombu4j.celery;

import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Parameter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import org.kombu4j.ConfigurationException;

/**
 * The tasks a {@link CeleryWorker} runs, by name: {@link CeleryTask}-annotated methods of the classes given, or
 * functions registered directly. Arguments that do not fit a method fail the task with Python's {@code TypeError}
 * (as Celery reports a call with the wrong arguments), saying why.
 */
public final class TaskRegistry {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** A task body: gets the call, returns a JSON-serializable result. */
    @FunctionalInterface
    public interface TaskFunction {
        @Nullable Object call(TaskCall call) throws Exception;
    }

    /** A registered task. */
    public record Task(String name, int maxRetries, TaskFunction function) {
    }

    private final Map<String, Task> tasks = new ConcurrentHashMap<>();

    /** A registry of the annotated tasks of {@code classes}. */
    public static TaskRegistry of(Class<?>... classes) {
        TaskRegistry r = new TaskRegistry();
        for (Class<?> c : classes) {
            r.register(c);
        }
        return r;
    }

    /**
     * Registers every {@link CeleryTask} method of {@code type}.
     *
     * @throws ConfigurationException if it has none, a name is taken, or an instance is needed and cannot be made
     */
    public TaskRegistry register(Class<?> type) {
        Object instance = null;
        int found = 0;
        for (Method m : type.getMethods()) {
            CeleryTask a = m.getAnnotation(CeleryTask.class);
            if (a == null) {
                continue;
            }
            if (!Modifier.isStatic(m.getModifiers()) && instance == null) {
                instance = instantiate(type);
            }
            Object target = Modifier.isStatic(m.getModifiers()) ? null : instance;
            register(a.name(), a.maxRetries(), call -> invoke(m, target, call));
            found++;
        }
        if (found == 0) {
            throw new ConfigurationException("class " + type.getName() + " has no public @CeleryTask methods");
        }
        return this;
    }

    /** Registers {@code function} as task {@code name} (Celery's default of 3 retries). */
    public TaskRegistry register(String name, TaskFunction function) {
        return register(name, 3, function);
    }

    /** Registers {@code function} as task {@code name}, retried at most {@code maxRetries} times. */
    public TaskRegistry register(String name, int maxRetries, TaskFunction function) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(function, "function");
        if (tasks.putIfAbsent(name, new Task(name, maxRetries, function)) != null) {
            throw new ConfigurationException("task '" + name + "' is registered twice");
        }
        return this;
    }

    /** The task called {@code name}, or null. */
    public @Nullable Task get(String name) {
        return tasks.get(name);
    }

    /** The registered names, sorted. */
    public Set<String> names() {
        return new TreeSet<>(tasks.keySet());
    }

    private static Object instantiate(Class<?> type) {
        try {
            return type.getConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new ConfigurationException("class " + type.getName() + " has instance @CeleryTask methods but no "
                    + "public no-argument constructor: " + e);
        }
    }

    private static @Nullable Object invoke(Method m, @Nullable Object target, TaskCall call) throws Exception {
        Object[] args = bind(m, call);
        try {
            return m.invoke(target, args);
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

    /** Celery's args and kwargs onto the method's parameters, as Python binds a call. */
    static Object[] bind(Method m, TaskCall call) {
        Parameter[] ps = m.getParameters();
        if (ps.length == 1 && ps[0].getType() == TaskCall.class) {
            return new Object[] {call};
        }
        String fn = call.name() + "()";
        if (call.args().size() > ps.length) {
            throw TaskError.builtin("TypeError", fn + " takes " + ps.length + " positional argument"
                    + (ps.length == 1 ? "" : "s") + " but " + call.args().size() + " were given");
        }
        Object[] out = new Object[ps.length];
        boolean[] set = new boolean[ps.length];
        for (int i = 0; i < call.args().size(); i++) {
            out[i] = convert(fn, ps[i], call.args().get(i));
            set[i] = true;
        }
        Map<String, Integer> byName = new LinkedHashMap<>();
        for (int i = 0; i < ps.length; i++) {
            if (ps[i].isNamePresent()) {
                byName.put(ps[i].getName(), i);
            }
        }
        for (Map.Entry<String, @Nullable Object> kw : call.kwargs().entrySet()) {
            Integer i = byName.get(kw.getKey());
            if (i == null) {
                throw TaskError.builtin("TypeError", fn + " got an unexpected keyword argument '" + kw.getKey() + "'"
                        + (byName.isEmpty() && ps.length > 0 ? " (the Java method was compiled without -parameters)"
                                : ""));
            }
            if (set[i]) {
                throw TaskError.builtin("TypeError", fn + " got multiple values for argument '" + kw.getKey() + "'");
            }
            out[i] = convert(fn, ps[i], kw.getValue());
            set[i] = true;
        }
        List<String> missing = new ArrayList<>();
        for (int i = 0; i < ps.length; i++) {
            if (!set[i]) {
                missing.add("'" + (ps[i].isNamePresent() ? ps[i].getName() : "arg" + i) + "'");
            }
        }
        if (!missing.isEmpty()) {
            throw TaskError.builtin("TypeError", fn + " missing " + missing.size() + " required positional argument"
                    + (missing.size() == 1 ? "" : "s") + ": " + String.join(" and ", missing));
        }
        return out;
    }

    private static @Nullable Object convert(String fn, Parameter p, @Nullable Object value) {
        if (value == null) {
            if (p.getType().isPrimitive()) {
                throw TaskError.builtin("TypeError", fn + " argument '" + p.getName() + "' must be "
                        + p.getType().getName() + ", not None");
            }
            return null;
        }
        JavaType type = MAPPER.getTypeFactory().constructType(p.getParameterizedType());
        if (type.getRawClass().isInstance(value) && !type.isContainerType()) {
            return value;
        }
        if (type.isPrimitive() || Number.class.isAssignableFrom(type.getRawClass())) {
            if (!(value instanceof Number) || isIntegral(type.getRawClass()) && !isWhole((Number) value)) {
                throw wrongType(fn, p, value);
            }
        }
        try {
            return MAPPER.convertValue(value, type);
        } catch (IllegalArgumentException e) {
            throw wrongType(fn, p, value);
        }
    }

    private static boolean isIntegral(Class<?> c) {
        return c == int.class || c == long.class || c == short.class || c == byte.class || c == Integer.class
                || c == Long.class || c == Short.class || c == Byte.class;
    }

    private static boolean isWhole(Number n) {
        return !(n instanceof Double || n instanceof Float) || n.doubleValue() == Math.rint(n.doubleValue());
    }

    private static TaskError wrongType(String fn, Parameter p, Object value) {
        return TaskError.builtin("TypeError", fn + " argument '" + p.getName() + "' must be "
                + p.getParameterizedType().getTypeName().replace("java.lang.", "") + ", not "
                + pythonType(value) + " " + PythonRepr.of(value));
    }

    private static String pythonType(Object v) {
        if (v instanceof String) {
            return "str";
        }
        if (v instanceof Boolean) {
            return "bool";
        }
        if (v instanceof Double || v instanceof Float) {
            return "float";
        }
        if (v instanceof Number) {
            return "int";
        }
        if (v instanceof List) {
            return "list";
        }
        if (v instanceof Map) {
            return "dict";
        }
        return v.getClass().getSimpleName();
    }
}
