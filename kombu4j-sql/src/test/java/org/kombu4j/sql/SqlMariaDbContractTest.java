package org.kombu4j.sql;

/** The conformance suite on MariaDB. */
class SqlMariaDbContractTest extends SqlContract {
    @Override
    protected String createDatabase() {
        return TestDatabases.mariadb("k4j_contract");
    }
}
