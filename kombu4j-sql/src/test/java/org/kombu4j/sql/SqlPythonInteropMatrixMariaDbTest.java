package org.kombu4j.sql;

/** The serializer × compressor matrix with Python Kombu on MariaDB (PyMySQL on the Python side). */
class SqlPythonInteropMatrixMariaDbTest extends SqlPythonMatrix {
    @Override
    protected String[] pythonModules() {
        return new String[] {"kombu", "sqlalchemy", "pymysql"};
    }

    @Override
    protected String createDatabase() {
        return TestDatabases.mariadb("k4j_pymatrix");
    }

    @Override
    protected String sharedUrl(String plainUrl) {
        return "sqla+mysql+pymysql" + plainUrl.substring(plainUrl.indexOf("://")); // mysql://root@... → sqla+mysql+pymysql://root@...
    }
}
