package org.kombu4j.sql;

/** The serializer × compressor matrix with Python Kombu on a SQLite file. */
class SqlPythonInteropMatrixSqliteTest extends SqlPythonMatrix {
    @Override
    protected String[] pythonModules() {
        return new String[] {"kombu", "sqlalchemy"};
    }

    @Override
    protected String createDatabase() {
        return TestDatabases.sqlite("k4j_pymatrix");
    }

    @Override
    protected String sharedUrl(String plainUrl) {
        return "sqla+" + plainUrl;
    }
}
