package org.kombu4j.sql;

/** The conformance suite on a SQLite file. */
class SqlSqliteContractTest extends SqlContract {
    @Override
    protected String createDatabase() {
        return TestDatabases.sqlite("k4j_contract");
    }
}
