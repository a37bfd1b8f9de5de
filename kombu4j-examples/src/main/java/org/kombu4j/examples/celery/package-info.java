/** Celery tasks in Java, run by {@code kombu4j celery worker --tasks org.kombu4j.examples.celery.ExampleTasks}. */
@NullMarked
package org.kombu4j.examples.celery;

import org.jspecify.annotations.NullMarked;
