package org.kombu4j.sql;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.kombu4j.testkit.TransportContract;

/** The conformance suite on the SQL transport, in a database of its own. */
class SqlMariaDbContractTest extends TransportContract {
    private static String url;

    @BeforeAll
    static void database() {
        url = TestDatabases.mariadb("k4j_contract");
    }

    @AfterAll
    static void dropDatabase() {
        if (url != null) {
            TestDatabases.drop(url);
        }
    }

    @Override
    protected String url() {
        return url;
    }
}
