package org.kombu4j.sql;

/** The conformance suite on PostgreSQL. */
class SqlPostgresContractTest extends SqlContract {
    @Override
    protected String createDatabase() {
        return TestDatabases.postgres("k4j_contract");
    }
}
