package org.kombu4j.bench;

import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.jspecify.annotations.Nullable;

/**
 * A Kombu SQLAlchemy-style database URL, as the kombu4j SQL transport takes it, mapped to JDBC for the bench's own
 * peers: {@code [sqla+|sqlalchemy+]DIALECT[+DRIVER]://...} with DIALECT sqlite, postgresql (postgres), mysql or
 * mariadb; DRIVER is ignored. SQLite follows SQLAlchemy: {@code sqlite:///rel.db} relative to the working directory,
 * {@code sqlite:////abs/path.db} absolute, bare {@code sqlite://} the transport's default file
 * ({@code $KOMBU4J_HOME/broker.db}, else {@code $XDG_DATA_HOME/kombu4j/broker.db}, else
 * {@code ~/.local/share/kombu4j/broker.db}). The query string holds transport options, none of which reach JDBC.
 *
 * @param dialect {@code sqlite}, {@code postgresql} or {@code mariadb} (mysql URLs use the MariaDB driver too)
 * @param host server host (empty for SQLite)
 * @param port server port (0 for SQLite)
 * @param database the database name, or for SQLite the file's absolute path
 * @param user user name, or null
 * @param password password, or null
 * @param options the query string's options, in order
 */
record SqlTarget(String dialect, String host, int port, String database, @Nullable String user,
        @Nullable String password, Map<String, String> options) {
    static final String SQLITE = "sqlite";
    static final String POSTGRESQL = "postgresql";
    static final String MARIADB = "mariadb";

    SqlTarget {
        options = Map.copyOf(options);
    }

    /** Whether {@code url}'s scheme names a SQL database this class maps. */
    static boolean isSql(String url) {
        try {
            parse(url);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** The dialect of a scheme ({@code sqla+postgresql+psycopg2} → postgresql), or null if not SQL. */
    static @Nullable String dialectOf(String scheme) {
        String s = scheme.toLowerCase(Locale.ROOT);
        if (s.startsWith("sqla+")) {
            s = s.substring(5);
        } else if (s.startsWith("sqlalchemy+")) {
            s = s.substring(11);
        }
        int plus = s.indexOf('+');
        if (plus >= 0) {
            s = s.substring(0, plus);
        }
        switch (s) {
            case "sqlite":
                return SQLITE;
            case "postgresql":
            case "postgres":
                return POSTGRESQL;
            case "mysql":
            case "mariadb":
                return MARIADB;
            default:
                return null;
        }
    }

    /**
     * Parses {@code url} (an optional {@code ;}-separated fail-over list is cut at the first entry).
     *
     * @throws IllegalArgumentException if it is not a SQL URL of a known dialect
     */
    static SqlTarget parse(String url) {
        String u = url.split(";")[0].trim();
        int sep = u.indexOf("://");
        if (sep <= 0) {
            throw new IllegalArgumentException("not a database URL (no scheme): " + mask(u));
        }
        String dialect = dialectOf(u.substring(0, sep));
        if (dialect == null) {
            throw new IllegalArgumentException("not a database URL: " + mask(u));
        }
        String rest = u.substring(sep + 3);
        Map<String, String> options = new LinkedHashMap<>();
        int q = rest.indexOf('?');
        if (q >= 0) {
            for (String kv : rest.substring(q + 1).split("&")) {
                if (!kv.isEmpty()) {
                    int eq = kv.indexOf('=');
                    options.put(decode(eq < 0 ? kv : kv.substring(0, eq)), eq < 0 ? "" : decode(kv.substring(eq + 1)));
                }
            }
            rest = rest.substring(0, q);
        }
        if (dialect.equals(SQLITE)) {
            return new SqlTarget(dialect, "", 0, sqlitePath(rest, u).toString(), null, null, options);
        }
        String user = null;
        String password = null;
        int at = rest.lastIndexOf('@');
        if (at >= 0) {
            String auth = rest.substring(0, at);
            rest = rest.substring(at + 1);
            int colon = auth.indexOf(':');
            user = decode(colon < 0 ? auth : auth.substring(0, colon));
            password = colon < 0 ? null : decode(auth.substring(colon + 1));
        }
        int slash = rest.indexOf('/');
        String hostPort = slash < 0 ? rest : rest.substring(0, slash);
        String db = slash < 0 ? "" : decode(rest.substring(slash + 1));
        String host = hostPort;
        int defaultPort = dialect.equals(POSTGRESQL) ? 5432 : 3306;
        int port = defaultPort;
        if (hostPort.startsWith("[")) {
            int close = hostPort.indexOf(']');
            host = hostPort.substring(1, close);
            if (close + 1 < hostPort.length() && hostPort.charAt(close + 1) == ':') {
                port = parsePort(hostPort.substring(close + 2), u);
            }
        } else {
            int colon = hostPort.lastIndexOf(':');
            if (colon >= 0) {
                host = hostPort.substring(0, colon);
                port = parsePort(hostPort.substring(colon + 1), u);
            }
        }
        if (host.isEmpty()) {
            host = "localhost";
        }
        if (db.isEmpty()) {
            // libpq's default is the user's name; MariaDB connects to no database, which a queue cannot use.
            if (dialect.equals(POSTGRESQL)) {
                db = user != null && !user.isEmpty() ? user : "postgres";
            } else {
                throw new IllegalArgumentException("a MySQL/MariaDB URL needs a database: " + mask(u));
            }
        }
        return new SqlTarget(dialect, host, port, db, user, password, options);
    }

    private static int parsePort(String s, String url) {
        try {
            int p = Integer.parseInt(s);
            if (p > 0 && p < 65536) {
                return p;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("bad port '" + s + "' in " + mask(url));
    }

    /** SQLAlchemy's file forms: three slashes then a relative path, four for an absolute one, none the default. */
    private static Path sqlitePath(String rest, String url) {
        if (rest.isEmpty()) {
            return defaultSqliteFile();
        }
        if (!rest.startsWith("/")) {
            throw new IllegalArgumentException("a SQLite URL has no host: " + url
                    + " (sqlite:///relative.db or sqlite:////absolute/path.db)");
        }
        String path = decode(rest.substring(1));
        if (path.isEmpty()) {
            return defaultSqliteFile();
        }
        if (path.equals(":memory:")) {
            throw new IllegalArgumentException("an in-memory SQLite database cannot be shared between connections: " + url);
        }
        return Path.of(path).toAbsolutePath().normalize();
    }

    /** The transport's default database file. */
    static Path defaultSqliteFile() {
        String home = System.getenv("KOMBU4J_HOME");
        if (home != null && !home.isBlank()) {
            return Path.of(home, "broker.db").toAbsolutePath();
        }
        String xdg = System.getenv("XDG_DATA_HOME");
        if (xdg != null && !xdg.isBlank()) {
            return Path.of(xdg, "kombu4j", "broker.db").toAbsolutePath();
        }
        return Path.of(System.getProperty("user.home"), ".local", "share", "kombu4j", "broker.db");
    }

    private static String decode(String s) {
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    /** {@code url} with any password replaced by {@code ***}. */
    static String mask(String url) {
        return url.replaceFirst("(://[^/@:]*:)[^/@]*@", "$1***@");
    }

    /**
     * {@code url} with its host and port replaced (user, database and options kept), e.g. to point a client at a
     * proxy. The first URL of a {@code ;} list only.
     */
    static String withHostPort(String url, String host, int port) {
        String u = url.split(";")[0];
        int sep = u.indexOf("://");
        if (sep < 0) {
            throw new IllegalArgumentException("not a database URL: " + mask(u));
        }
        int start = sep + 3;
        int end = start;
        while (end < u.length() && u.charAt(end) != '/' && u.charAt(end) != '?') {
            end++;
        }
        String authority = u.substring(start, end);
        int at = authority.lastIndexOf('@');
        String userInfo = at >= 0 ? authority.substring(0, at + 1) : "";
        return u.substring(0, start) + userInfo + host + ":" + port + u.substring(end);
    }

    /** The JDBC URL (no credentials in it). */
    String jdbcUrl() {
        switch (dialect) {
            case SQLITE:
                return "jdbc:sqlite:" + database;
            case POSTGRESQL:
                return "jdbc:postgresql://" + hostForUrl() + ":" + port + "/" + database;
            default:
                return "jdbc:mariadb://" + hostForUrl() + ":" + port + "/" + database;
        }
    }

    private String hostForUrl() {
        return host.contains(":") ? "[" + host + "]" : host;
    }

    /** Connection properties: credentials, and the driver settings of a fast client. */
    Properties properties() {
        Properties p = new Properties();
        if (user != null) {
            p.setProperty("user", user);
        }
        if (password != null) {
            p.setProperty("password", password);
        }
        switch (dialect) {
            case POSTGRESQL:
                // One multi-row INSERT per JDBC batch instead of one INSERT per row.
                p.setProperty("reWriteBatchedInserts", "true");
                p.setProperty("ApplicationName", "kombu4j-bench");
                break;
            case MARIADB:
                p.setProperty("rewriteBatchedStatements", "true");
                break;
            default:
                // WAL: readers do not block the writer; NORMAL: fsync at checkpoints, not at every commit.
                p.setProperty("journal_mode", "WAL");
                p.setProperty("synchronous", "NORMAL");
                p.setProperty("busy_timeout", "10000");
                // BEGIN IMMEDIATE when auto-commit is off: a claim takes the write lock up front.
                p.setProperty("transaction_mode", "IMMEDIATE");
        }
        return p;
    }

    /** A new JDBC connection to the database. */
    Connection connect() throws SQLException {
        return DriverManager.getConnection(jdbcUrl(), properties());
    }

    /** The URL with the password masked, for messages. */
    String describe() {
        return dialect.equals(SQLITE) ? "sqlite:///" + database
                : dialect + "://" + (user == null ? "" : user + (password == null ? "" : ":***") + "@") + hostForUrl()
                        + ":" + port + "/" + database;
    }

    /**
     * Makes sure the database exists: PostgreSQL through the {@code postgres} database ({@code CREATE DATABASE} if
     * missing), MariaDB with {@code CREATE DATABASE IF NOT EXISTS}, SQLite by creating the file's directory.
     *
     * @return whether it had to be created
     */
    boolean ensureDatabase() throws SQLException, IOException {
        switch (dialect) {
            case SQLITE: {
                Path file = Path.of(database);
                boolean existed = Files.exists(file);
                if (file.getParent() != null) {
                    Files.createDirectories(file.getParent());
                }
                return !existed;
            }
            case POSTGRESQL: {
                String admin = "jdbc:postgresql://" + hostForUrl() + ":" + port + "/postgres";
                try (Connection c = DriverManager.getConnection(admin, properties());
                        PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
                    ps.setString(1, database);
                    try (ResultSet rs = ps.executeQuery()) {
                        if (rs.next()) {
                            return false;
                        }
                    }
                    try (Statement st = c.createStatement()) {
                        st.execute("CREATE DATABASE " + quoteIdent(database, '"'));
                    } catch (SQLException e) {
                        // 42P04 duplicate_database: somebody created it meanwhile.
                        if (!"42P04".equals(e.getSQLState())) {
                            throw e;
                        }
                        return false;
                    }
                    return true;
                }
            }
            default: {
                String admin = "jdbc:mariadb://" + hostForUrl() + ":" + port + "/";
                try (Connection c = DriverManager.getConnection(admin, properties()); Statement st = c.createStatement()) {
                    return st.executeUpdate("CREATE DATABASE IF NOT EXISTS " + quoteIdent(database, '`')) > 0;
                }
            }
        }
    }

    static String quoteIdent(String name, char quote) {
        return quote + name.replace(String.valueOf(quote), String.valueOf(quote) + quote) + quote;
    }
}
