package org.kombu4j.celery;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a method as a Celery task called {@link #name()}. Static methods are called as they are; for instance
 * methods the class needs a public no-argument constructor. Celery's positional arguments bind to the parameters
 * in order and its keyword arguments by parameter name (compile with {@code -parameters}); a method whose only
 * parameter is a {@link TaskCall} receives them as they came ({@code *args, **kwargs}).
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface CeleryTask {
    /** The task name callers use, e.g. {@code "examples.add"}. */
    String name();

    /** The most retries a {@link Retry} may ask for before the task fails; Celery's default is 3. */
    int maxRetries() default 3;
}
