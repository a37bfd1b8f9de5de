package org.kombu4j.celery;

import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The arguments of one task call as Celery sent them, for tasks that take {@code *args, **kwargs}, with the
 * request's id and retry count (Celery's {@code self.request}).
 */
public record TaskCall(String id, String name, List<@Nullable Object> args, Map<String, @Nullable Object> kwargs,
        int retries) {
    public TaskCall {
        args = java.util.Collections.unmodifiableList(new java.util.ArrayList<>(args));
        kwargs = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(kwargs));
    }
}
