package org.kombu4j.sql;

/** The conformance suite on PostgreSQL with pipelined publishing: a connection still reads its own writes. */
class SqlPostgresPipelinedContractTest extends SqlContract {
    @Override
    protected String createDatabase() {
        return TestDatabases.postgres("k4j_contract");
    }

    @Override
    protected String options() {
        return "?publish_pipeline=64";
    }
}
