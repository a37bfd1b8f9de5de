package org.kombu4j.sql;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.kombu4j.testkit.TransportContract;

/** The conformance suite on the SQL transport, in a database of its own per test class. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class SqlContract extends TransportContract {
    private String url;

    /** Creates the database for this class and returns its URL (see {@link TestDatabases}). */
    protected abstract String createDatabase();

    /** Transport options to append to the URL, e.g. {@code ?publish_pipeline=64}. */
    protected String options() {
        return "";
    }

    @BeforeAll
    void database() {
        url = createDatabase();
    }

    @AfterAll
    void dropDatabase() {
        if (url != null) {
            TestDatabases.drop(url);
        }
    }

    @Override
    protected String url() {
        return url + options();
    }
}
