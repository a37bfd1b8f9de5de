package org.kombu4j.sql;

/** {@link SqlPythonInterop} on the shared MariaDB, with PyMySQL on the Python side. */
class SqlPythonInteropMariaDbTest extends SqlPythonInterop {
    @Override
    protected String createDatabase(String prefix) {
        return TestDatabases.mariadb(prefix);
    }

    @Override
    protected String sqlaUrl(String testDatabaseUrl) {
        // mysql://root@127.0.0.1:3306/DB → sqla+mysql+pymysql://root@127.0.0.1:3306/DB
        return "sqla+mysql+pymysql" + testDatabaseUrl.substring(testDatabaseUrl.indexOf("://"));
    }

    @Override
    protected String pythonDriver() {
        return "pymysql";
    }
}
