/**
 * Celery's task protocol 2 on kombu4j, on any transport: {@link org.kombu4j.celery.CeleryClient} sends tasks to
 * (Python or Java) Celery workers and returns {@link org.kombu4j.celery.AsyncResult}s; {@link
 * org.kombu4j.celery.CeleryWorker} runs {@link org.kombu4j.celery.CeleryTask}-annotated Java methods for any
 * Celery caller; {@link org.kombu4j.celery.ResultBackend}s store and await results in Celery's layout
 * ({@code redis://}, {@code rpc://}).
 */
@NullMarked
package org.kombu4j.celery;

import org.jspecify.annotations.NullMarked;
