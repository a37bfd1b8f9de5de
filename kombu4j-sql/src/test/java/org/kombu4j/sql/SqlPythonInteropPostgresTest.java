package org.kombu4j.sql;

/** {@link SqlPythonInterop} on the shared PostgreSQL, with psycopg2 on the Python side. */
class SqlPythonInteropPostgresTest extends SqlPythonInterop {
    @Override
    protected String createDatabase(String prefix) {
        return TestDatabases.postgres(prefix);
    }

    @Override
    protected String sqlaUrl(String testDatabaseUrl) {
        return "sqla+" + testDatabaseUrl; // sqla+postgresql://postgres@127.0.0.1:5432/DB: psycopg2, SQLAlchemy's default
    }

    @Override
    protected String pythonDriver() {
        return "psycopg2";
    }
}
