package org.kombu4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kombu4j.testkit.brokers.PrivatePostgres;
import org.kombu4j.testkit.env.TestEnvironment;

/**
 * Bad input to the SQL transport from the command line (issue 14): an unreachable database, a refused
 * login, a SQLite file that cannot be written, tables of a foreign layout each give exit 1 and one line on
 * standard error naming the problem, with nothing published and nothing of anyone else's changed; a
 * malformed URL or an unknown option is bad usage (exit 2, as for every transport). Real processes, each
 * with its own {@code KOMBU4J_HOME}.
 */
class SqlBadInputTest {
    private static final String[] PUBLISH = {"publish", "--exchange", "tasks", "--routing-key", "hello", "--declare-queue", "hello",
        "--body", "{\"x\":1}"};

    @TempDir Path home;
    @TempDir Path logs;
    @TempDir Path tmp;
    private CliProcess cli;

    @BeforeEach
    void setUp() {
        cli = new CliProcess(home, logs);
    }

    /** Exit 1, nothing on standard output, one line on standard error that contains {@code contains}, and no password. */
    private static void assertBrokerError(CliRunner.Result r, String... contains) {
        assertThat(r.status()).as(r.err()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.errLines()).singleElement().asString().startsWith("kombu4j: error: ").contains(contains)
                .doesNotContain("s3cret", "Exception", "\tat ");
    }

    private CliRunner.Result publish(String url) throws Exception {
        List<String> args = new ArrayList<>(List.of("--url", url));
        args.addAll(List.of(PUBLISH));
        return cli.run(args.toArray(String[]::new));
    }

    @Test
    void unreachableDatabase() throws Exception {
        assertBrokerError(publish("postgresql://postgres:s3cret@127.0.0.1:1/x"), "cannot connect to PostgreSQL", "127.0.0.1:1");
        assertBrokerError(cli.run("--url", "mysql://root:s3cret@127.0.0.1:1/x", "consume", "--queue", "q"), "cannot connect to MariaDB",
                "127.0.0.1:1");
    }

    /** MariaDB's root has no password here: a wrong one is refused. PostgreSQL trusts 127.0.0.1, so an unknown role instead. */
    @Test
    void refusedLogin() throws Exception {
        TestEnvironment.requireListening("MariaDB", "127.0.0.1", 3306);
        TestEnvironment.requireListening("PostgreSQL", "127.0.0.1", 5432);
        assertBrokerError(publish("mysql://root:s3cret@127.0.0.1:3306/mysql"), "MariaDB refused user 'root'", "root:***@");
        assertBrokerError(cli.run("--url", "postgresql://k4j_nosuch_role:s3cret@127.0.0.1/postgres", "queues"),
                "PostgreSQL refused user 'k4j_nosuch_role'");
        assertBrokerError(cli.run("--url", "postgresql://postgres@127.0.0.1/k4j_nosuch_db", "queues"), "database 'k4j_nosuch_db' does not exist");
    }

    /** A PostgreSQL that asks for a password (a private server: the shared one trusts 127.0.0.1): a wrong one is refused. */
    @Test
    void wrongPostgresPassword() throws Exception {
        try (PrivatePostgres pg = PrivatePostgres.start("right-pw")) {
            pg.createDatabase("jobs");
            String good = pg.url("jobs");
            String bad = good.replace("right-pw", "s3cret");
            assertThat(bad).isNotEqualTo(good);
            assertBrokerError(publish(bad), "PostgreSQL refused user 'postgres'", "postgres:***@", "password authentication failed");
            // Nothing was half-published: with the right password the queue does not exist yet, then works.
            CliRunner.Result none = cli.run("--url", good, "consume", "--queue", "hello", "--timeout", "0");
            assertBrokerError(none, "'hello'", "not found");
            CliRunner.Result ok = publish(good);
            assertThat(ok.status()).as(ok.err()).isZero();
            CliRunner.Result got = cli.run("--url", good, "consume", "--queue", "hello", "--count", "1");
            assertThat(got.status()).as(got.err()).isZero();
            assertThat(got.out()).contains("body={\"x\":1}");
        }
    }

    @Test
    void sqliteFileThatCannotBeWritten() throws Exception {
        // Root writes anywhere a mode bit allows; not under /proc, and not below a regular file.
        assertBrokerError(publish("sqlite:////proc/nope/x.db"), "cannot open SQLite file /proc/nope/x.db for writing");
        Path file = Files.writeString(tmp.resolve("plain.txt"), "not a directory\n");
        assertBrokerError(publish("sqlite:///" + file + "/x.db"), "cannot open SQLite file " + file + "/x.db for writing");
        // The default file, where KOMBU4J_HOME cannot hold it.
        assertBrokerError(cli.withEnv(Map.of("KOMBU4J_HOME", "/proc/nope")).run(PUBLISH), "/proc/nope/broker.db");
        // A file that is there but is no database: refused, and left as it was.
        assertBrokerError(publish("sqlite:///" + file), "SQLite file " + file + " is not a SQLite database");
        assertThat(Files.readString(file)).isEqualTo("not a directory\n");
    }

    /** Someone else's kombu_message table: refused, named, and left exactly as it was. */
    @Test
    void foreignTablesInASqliteFile() throws Exception {
        Path db = tmp.resolve("theirs.db");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE kombu_message (id INTEGER PRIMARY KEY, body TEXT)");
            st.execute("INSERT INTO kombu_message (body) VALUES ('precious')");
        }
        assertBrokerError(publish("sqlite:///" + db), "kombu_message", "not Kombu's layout", "lacks [visible");
        assertBrokerError(cli.run("--url", "sqlite:///" + db, "consume", "--queue", "hello"), "kombu_message", "not Kombu's layout");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = c.createStatement()) {
            assertThat(columns(c, "kombu_message")).containsExactly("id", "body");
            assertThat(rows(st, "SELECT body FROM kombu_message")).containsExactly("precious");
            assertThat(rows(st, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")).containsExactly("kombu_message");
        }
    }

    @Test
    void foreignTablesInAPostgresDatabase() throws Exception {
        TestEnvironment.requireListening("PostgreSQL", "127.0.0.1", 5432);
        String name = "k4jcli_foreign_" + UUID.randomUUID().toString().substring(0, 8);
        admin("CREATE DATABASE " + name);
        try {
            String jdbc = "jdbc:postgresql://127.0.0.1:5432/" + name;
            try (Connection c = DriverManager.getConnection(jdbc, pg()); Statement st = c.createStatement()) {
                st.execute("CREATE TABLE kombu_queue (id SERIAL PRIMARY KEY, title TEXT)");
                st.execute("INSERT INTO kombu_queue (title) VALUES ('precious')");
            }
            assertBrokerError(publish("postgresql://postgres@127.0.0.1/" + name), "table kombu_queue", "not Kombu's layout",
                    "lacks [name]");
            try (Connection c = DriverManager.getConnection(jdbc, pg()); Statement st = c.createStatement()) {
                assertThat(rows(st, "SELECT title FROM kombu_queue")).containsExactly("precious");
                assertThat(rows(st, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"))
                        .containsExactly("kombu_queue");
            }
        } finally {
            admin("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
        }
    }

    /** A malformed URL or an unknown option is bad usage (exit 2), found before anything is touched. */
    @Test
    void malformedUrlsAndUnknownOptions() throws Exception {
        // A message on the default broker that the failing commands must leave alone.
        CliRunner.Result pub = cli.run(PUBLISH);
        assertThat(pub.status()).as(pub.err()).isZero();

        assertUsageError(cli.run("--url", "sqlite://somehost/x.db", "consume", "--queue", "hello"), "malformed SQLite URL",
                "has no host", "sqlite:////absolute/path.db");
        assertUsageError(cli.run("--url", "sqlite://?bogus=1", "consume", "--queue", "hello"), "unknown option 'bogus'",
                "visibility_timeout");
        assertUsageError(cli.run("--url", "sqlite://?visibility_timeout=soon", "purge", "--queue", "hello"), "visibility_timeout",
                "'soon'");
        assertUsageError(cli.run("--url", "postgresql://postgres:s3cret@127.0.0.1", "queues"), "no database in",
                "postgres:***@");
        assertThat(home.resolve("x.db")).doesNotExist();

        CliRunner.Result got = cli.run("consume", "--queue", "hello", "--count", "1");
        assertThat(got.status()).as(got.err()).isZero();
        assertThat(got.out()).contains("body={\"x\":1}");
    }

    private static void assertUsageError(CliRunner.Result r, String... contains) {
        assertThat(r.status()).as(r.err()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.errLines()).singleElement().asString().startsWith("kombu4j: ").doesNotStartWith("kombu4j: error:")
                .contains(contains).doesNotContain("s3cret");
    }

    private static Properties pg() {
        Properties p = new Properties();
        p.setProperty("user", "postgres");
        return p;
    }

    private static void admin(String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:5432/postgres", pg());
                Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    private static List<String> columns(Connection c, String table) throws SQLException {
        List<String> cols = new ArrayList<>();
        try (ResultSet rs = c.getMetaData().getColumns(null, null, table, null)) {
            while (rs.next()) {
                cols.add(rs.getString("COLUMN_NAME"));
            }
        }
        return cols;
    }

    private static List<String> rows(Statement st, String sql) throws SQLException {
        List<String> out = new ArrayList<>();
        try (ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }
}
