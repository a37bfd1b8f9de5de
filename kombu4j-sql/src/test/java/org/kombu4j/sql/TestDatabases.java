package org.kombu4j.sql;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Comparator;
import java.util.UUID;
import java.util.stream.Stream;
import org.kombu4j.testkit.env.TestEnvironment;

/**
 * Databases of its own for each test class on the machine's shared servers (PostgreSQL on
 * 127.0.0.1:5432 as postgres, MariaDB on 127.0.0.1:3306 as root) or in a temporary SQLite file;
 * {@link #drop} removes them. A server that is not there fails the test under {@code CI=true}.
 */
public final class TestDatabases {
    public static final String PG_ADMIN = "jdbc:postgresql://127.0.0.1:5432/postgres";
    public static final String MARIADB_ADMIN = "jdbc:mariadb://127.0.0.1:3306/";

    private TestDatabases() {
    }

    /** A new database's name: {@code prefix} and a random suffix. */
    public static String name(String prefix) {
        return prefix + "_" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** Creates a PostgreSQL database; returns its URL ({@code postgresql://postgres@127.0.0.1:5432/NAME}). */
    public static String postgres(String prefix) {
        TestEnvironment.requireListening("PostgreSQL", "127.0.0.1", 5432);
        String db = name(prefix);
        admin(PG_ADMIN, "postgres", "CREATE DATABASE " + db);
        return "postgresql://postgres@127.0.0.1:5432/" + db;
    }

    /** Creates a MariaDB database; returns its URL ({@code mysql://root@127.0.0.1:3306/NAME}). */
    public static String mariadb(String prefix) {
        TestEnvironment.requireListening("MariaDB", "127.0.0.1", 3306);
        String db = name(prefix);
        admin(MARIADB_ADMIN, "root", "CREATE DATABASE " + db);
        return "mysql://root@127.0.0.1:3306/" + db;
    }

    /** A SQLite file in a new temporary directory; returns its URL ({@code sqlite:////tmp/.../NAME.db}). */
    public static String sqlite(String prefix) {
        try {
            Path dir = Files.createTempDirectory("kombu4j-sql-test");
            return "sqlite:///" + dir.resolve(name(prefix) + ".db").toAbsolutePath();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Removes what {@link #postgres}, {@link #mariadb} or {@link #sqlite} made for {@code url}. */
    public static void drop(String url) {
        String db = url.substring(url.lastIndexOf('/') + 1);
        int q = db.indexOf('?');
        if (q >= 0) {
            db = db.substring(0, q);
        }
        if (url.contains("postgresql://")) {
            admin(PG_ADMIN, "postgres", "DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
        } else if (url.contains("mysql://") || url.contains("mariadb://")) {
            admin(MARIADB_ADMIN, "root", "DROP DATABASE IF EXISTS " + db);
        } else if (url.contains("sqlite:")) {
            Path file = Path.of(url.substring(url.indexOf(":///") + 3).replaceAll("\\?.*", ""));
            try (Stream<Path> s = Files.walk(file.getParent())) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException ignored) {
                // A temporary directory: best effort.
            }
        }
    }

    /** Runs one statement as the server's administrator. */
    public static void admin(String jdbcUrl, String user, String sql) {
        try (Connection c = DriverManager.getConnection(jdbcUrl, user, null); Statement st = c.createStatement()) {
            st.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot run '" + sql + "' on " + jdbcUrl + ": " + e.getMessage(), e);
        }
    }
}
