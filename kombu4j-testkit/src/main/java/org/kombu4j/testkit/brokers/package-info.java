/**
 * The brokers tests run against: the shared local Redis and RabbitMQ ({@code ./run-tests} starts them),
 * and private redis-servers (also as a Sentinel group), PostgreSQL clusters, RabbitMQ nodes and MariaDB servers on free ports for
 * tests that kill or reconfigure a broker.
 */
package org.kombu4j.testkit.brokers;
