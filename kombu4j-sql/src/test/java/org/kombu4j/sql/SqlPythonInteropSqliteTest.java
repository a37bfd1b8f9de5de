package org.kombu4j.sql;

/** {@link SqlPythonInterop} on a SQLite file ({@code sqla+sqlite:////tmp/.../NAME.db}). */
class SqlPythonInteropSqliteTest extends SqlPythonInterop {
    @Override
    protected String createDatabase(String prefix) {
        return TestDatabases.sqlite(prefix);
    }

    @Override
    protected String sqlaUrl(String testDatabaseUrl) {
        return "sqla+" + testDatabaseUrl;
    }

    @Override
    protected String pythonDriver() {
        return null; // Python's own sqlite3
    }
}
