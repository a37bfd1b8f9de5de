package org.kombu4j.sql;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.kombu4j.testkit.KombuInteropMatrix;
import org.kombu4j.testkit.python.PythonKombu;

/** Every serializer × compressor both ways with Python Kombu's SQLAlchemy transport, one URL string for both. */
class SqlPythonInteropMatrixMariaDbTest extends KombuInteropMatrix {
    private static String plain;
    private static String url;

    @BeforeAll
    static void database() {
        PythonKombu.requireModules("kombu", "sqlalchemy", "pymysql");
        plain = TestDatabases.mariadb("k4j_pymatrix");
        url = "sqla+mysql+pymysql" + plain.substring(plain.indexOf("://")); // mysql://root@... → sqla+mysql+pymysql://root@...
    }

    @AfterAll
    static void dropDatabase() {
        if (plain != null) {
            TestDatabases.drop(plain);
        }
    }

    @Override
    protected String url() {
        return url;
    }

    @Override
    protected String pythonUrl() {
        return url;
    }
}
