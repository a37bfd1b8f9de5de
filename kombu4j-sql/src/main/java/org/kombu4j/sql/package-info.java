/**
 * The SQL transport: {@code sqlite://}, {@code postgresql://}, {@code mysql://}/{@code mariadb://}
 * (with Kombu's {@code sqla+}/{@code sqlalchemy+} prefixes), storing messages in Kombu's SQLAlchemy
 * tables so Python Kombu and kombu4j share queues. Only {@link org.kombu4j.sql.SqlTransportFactory}
 * is public; the rest is the transport's machinery.
 */
@NullMarked
package org.kombu4j.sql;

import org.jspecify.annotations.NullMarked;
