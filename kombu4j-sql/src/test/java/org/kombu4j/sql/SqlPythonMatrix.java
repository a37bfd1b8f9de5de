package org.kombu4j.sql;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.kombu4j.testkit.KombuInteropMatrix;
import org.kombu4j.testkit.python.PythonKombu;

/**
 * Every serializer × compressor both ways with Python Kombu's SQLAlchemy transport, one URL string for
 * both, in a database of its own per test class.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class SqlPythonMatrix extends KombuInteropMatrix {
    private String plain;
    private String url;

    /** The Python modules the tests need: kombu, sqlalchemy and the database's driver. */
    protected abstract String[] pythonModules();

    /** Creates the database and returns its kombu4j URL (see {@link TestDatabases}). */
    protected abstract String createDatabase();

    /** The URL both sides use, from {@link #createDatabase}'s. */
    protected abstract String sharedUrl(String plainUrl);

    @BeforeAll
    void database() {
        PythonKombu.requireModules(pythonModules());
        plain = createDatabase();
        url = sharedUrl(plain);
    }

    @AfterAll
    void dropDatabase() {
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
