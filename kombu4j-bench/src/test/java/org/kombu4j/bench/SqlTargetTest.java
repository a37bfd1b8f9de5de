package org.kombu4j.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The Kombu-form database URL to JDBC mapping of the bench's SQL peers. */
class SqlTargetTest {
    @Test
    void postgresqlUrlsMapToJdbcWithCredentialsOutOfTheUrl() {
        SqlTarget t = SqlTarget.parse("postgresql://postgres:s%40cret@127.0.0.1:5433/kombu4j_bench?visibility_timeout=30");
        assertThat(t.dialect()).isEqualTo("postgresql");
        assertThat(t.jdbcUrl()).isEqualTo("jdbc:postgresql://127.0.0.1:5433/kombu4j_bench");
        assertThat(t.user()).isEqualTo("postgres");
        assertThat(t.password()).isEqualTo("s@cret");
        assertThat(t.options()).containsEntry("visibility_timeout", "30");
        assertThat(t.properties()).containsEntry("reWriteBatchedInserts", "true").containsEntry("password", "s@cret");
        assertThat(t.describe()).doesNotContain("cret").isEqualTo("postgresql://postgres:***@127.0.0.1:5433/kombu4j_bench");
    }

    @Test
    void prefixesDriversAndAliasesAreAccepted() {
        for (String u : new String[] {"sqla+postgresql://u@localhost/db", "sqlalchemy+postgresql+psycopg2://u@localhost/db",
                "postgres://u@localhost/db", "postgresql+psycopg2://u@localhost:5432/db"}) {
            SqlTarget t = SqlTarget.parse(u);
            assertThat(t.jdbcUrl()).as(u).isEqualTo("jdbc:postgresql://localhost:5432/db");
            assertThat(t.user()).as(u).isEqualTo("u");
            assertThat(t.password()).as(u).isNull();
        }
        assertThat(SqlTarget.parse("mysql+pymysql://root@127.0.0.1/q").jdbcUrl()).isEqualTo("jdbc:mariadb://127.0.0.1:3306/q");
        assertThat(SqlTarget.parse("mariadb://root:pw@127.0.0.1:3307/q").jdbcUrl()).isEqualTo("jdbc:mariadb://127.0.0.1:3307/q");
    }

    @Test
    void postgresqlWithoutDatabaseUsesTheUserNameAsLibpqDoes() {
        assertThat(SqlTarget.parse("postgresql://alice@127.0.0.1").database()).isEqualTo("alice");
        assertThat(SqlTarget.parse("postgresql://127.0.0.1/").database()).isEqualTo("postgres");
        assertThatThrownBy(() -> SqlTarget.parse("mysql://root@127.0.0.1")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void sqlitePathsFollowSqlAlchemy() {
        assertThat(SqlTarget.parse("sqlite:////tmp/x/bench.db").jdbcUrl()).isEqualTo("jdbc:sqlite:/tmp/x/bench.db");
        assertThat(SqlTarget.parse("sqla+sqlite:////tmp/x/bench.db?polling_interval=1").database()).isEqualTo("/tmp/x/bench.db");
        assertThat(SqlTarget.parse("sqlite:///rel/b.db").database())
                .isEqualTo(Path.of("rel/b.db").toAbsolutePath().normalize().toString());
        assertThat(SqlTarget.parse("sqlite://").database()).isEqualTo(SqlTarget.defaultSqliteFile().toString());
        assertThat(SqlTarget.parse("sqlite://").database()).endsWith("broker.db");
        assertThat(SqlTarget.parse("sqlite://").properties()).containsEntry("journal_mode", "WAL");
        assertThatThrownBy(() -> SqlTarget.parse("sqlite:///:memory:")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SqlTarget.parse("sqlite://host/x.db")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void otherSchemesAreNotSql() {
        assertThat(SqlTarget.isSql("redis://127.0.0.1:6379/0")).isFalse();
        assertThat(SqlTarget.isSql("memory://")).isFalse();
        assertThat(SqlTarget.isSql("amqp://guest:guest@127.0.0.1//")).isFalse();
        assertThat(SqlTarget.isSql("sqla+sqlite:////tmp/a.db")).isTrue();
        assertThat(SqlTarget.dialectOf("sqla+mariadb+pymysql")).isEqualTo("mariadb");
    }

    @Test
    void publishAsyncAsksSqlTransportsForAPipeline() {
        assertThat(AsyncPublish.urlFor("postgresql://postgres@127.0.0.1:5432/db"))
                .isEqualTo("postgresql://postgres@127.0.0.1:5432/db?publish_pipeline=64");
        assertThat(AsyncPublish.urlFor("sqlite:////tmp/b.db?polling_interval=1"))
                .isEqualTo("sqlite:////tmp/b.db?polling_interval=1&publish_pipeline=64");
        assertThat(AsyncPublish.urlFor("sqla+mysql+pymysql://root@127.0.0.1/q?publish_pipeline=8"))
                .isEqualTo("sqla+mysql+pymysql://root@127.0.0.1/q?publish_pipeline=8");
        assertThat(AsyncPublish.mode("sqlite:////tmp/b.db")).isEqualTo("pipelined:publish_pipeline=64");
    }

    @Test
    void theMaskHidesPasswords() {
        assertThat(SqlTarget.mask("postgresql://u:pw@h/db")).isEqualTo("postgresql://u:***@h/db");
    }
}
