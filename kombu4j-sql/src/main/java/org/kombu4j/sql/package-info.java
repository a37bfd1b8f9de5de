/**
 * The SQL transport (PostgreSQL, MariaDB/MySQL, SQLite) on Kombu's SQLAlchemy tables; on PostgreSQL idle
 * consumers are woken by LISTEN/NOTIFY on a socket the Hub watches ({@code PgListener}).
 */
package org.kombu4j.sql;
