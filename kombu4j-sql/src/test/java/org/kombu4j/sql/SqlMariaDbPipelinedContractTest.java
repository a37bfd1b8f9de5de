package org.kombu4j.sql;

/** The conformance suite on MariaDB with pipelined publishing: a connection still reads its own writes. */
class SqlMariaDbPipelinedContractTest extends SqlContract {
    @Override
    protected String createDatabase() {
        return TestDatabases.mariadb("k4j_contract");
    }

    @Override
    protected String options() {
        return "?publish_pipeline=64";
    }
}
