package org.kombu4j.sql;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.kombu4j.Connection;
import org.kombu4j.PublishOptions;
import org.kombu4j.Queue;

/** The totals a kombu4j client counts for a monitor ({@link ClientStatsWriter}) over a queue's life. */
class SqlClientStatsTest {
    private String url;

    @BeforeEach
    void file() {
        url = TestDatabases.sqlite("k4j_cstats");
    }

    @AfterEach
    void drop() {
        TestDatabases.drop(url);
    }

    private int totalsRows(String queue) throws SQLException {
        String file = url.substring("sqlite:///".length());
        try (var c = DriverManager.getConnection("jdbc:sqlite:" + file);
                var ps = c.prepareStatement("SELECT COUNT(*) FROM kombu4j_stats WHERE queue = ? AND owner = ''")) {
            ps.setString(1, queue);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    @Test
    void aDeletedQueuesTotalsGoWithIt() throws Exception {
        try (Connection c = Connection.open(url)) {
            Queue q = Queue.of("cstats.q");
            c.producer().publish("m", PublishOptions.builder().routingKey(q.name()).declare(q).build());
            ((SqlTransport) c.transport()).clientStats().flush(System.currentTimeMillis(), false);
            assertThat(totalsRows(q.name())).isEqualTo(1);
            c.channel().deleteQueue(q.name());
            assertThat(totalsRows(q.name())).as("totals of the deleted queue").isZero();
        }
    }
}
