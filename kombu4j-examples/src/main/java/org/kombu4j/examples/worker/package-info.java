/** A long-running service on {@link org.kombu4j.Worker}: handlers on a pool, graceful stop on SIGTERM. */
package org.kombu4j.examples.worker;
