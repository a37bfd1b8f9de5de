package org.kombu4j.sql;

/** The serializer × compressor matrix with Python Kombu on PostgreSQL. */
class SqlPythonInteropMatrixPostgresTest extends SqlPythonMatrix {
    @Override
    protected String[] pythonModules() {
        return new String[] {"kombu", "sqlalchemy", "psycopg2"};
    }

    @Override
    protected String createDatabase() {
        return TestDatabases.postgres("k4j_pymatrix");
    }

    @Override
    protected String sharedUrl(String plainUrl) {
        return "sqla+" + plainUrl;
    }
}
