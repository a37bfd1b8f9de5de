package org.kombu4j.sql;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.jspecify.annotations.Nullable;
import org.kombu4j.BrokerUrl;
import org.kombu4j.ConfigurationException;
import org.kombu4j.transport.UrlOptions;

/**
 * A SQL broker URL as SQLAlchemy writes it, read into what JDBC needs: the dialect, the JDBC URL and
 * its properties, and the transport options. {@code sqlite://} alone means the default file
 * (DESIGN.md): {@code $KOMBU4J_HOME/broker.db}, else {@code $XDG_DATA_HOME/kombu4j/broker.db}, else
 * {@code ~/.local/share/kombu4j/broker.db}.
 */
record SqlUrl(BrokerUrl url, Dialect dialect, String jdbcUrl, Properties properties, @Nullable Path file,
        String database, Options options) {

    /** Kombu's prefixes that name the SQLAlchemy transport. */
    static final List<String> PREFIXES = List.of("sqla+", "sqlalchemy+");
    /** The dialect names, as SQLAlchemy knows them. */
    static final Map<String, Dialect> DIALECTS = Map.of(
            "sqlite", Dialect.SQLITE,
            "postgresql", Dialect.POSTGRESQL, "postgres", Dialect.POSTGRESQL,
            "mysql", Dialect.MARIADB, "mariadb", Dialect.MARIADB);
    /** Dialect+driver spellings accepted (the driver is Python's business; JDBC uses its own). */
    static final List<String> DRIVERS = List.of(
            "sqlite+pysqlite", "postgresql+psycopg2", "postgresql+psycopg", "postgresql+pg8000", "postgresql+asyncpg",
            "mysql+pymysql", "mysql+mysqldb", "mysql+mariadbconnector", "mariadb+pymysql", "mariadb+mariadbconnector");

    static final List<String> OPTION_NAMES = List.of("visibility_timeout", "polling_interval", "publish_pipeline",
            "queue_tablename", "message_tablename", "connect_timeout");

    /** The transport options (query string). */
    record Options(Duration visibilityTimeout, Duration pollingInterval, int publishPipeline, String queueTable,
            String messageTable, Duration connectTimeout) {
    }

    static SqlUrl of(BrokerUrl url) {
        String scheme = url.scheme();
        for (String p : PREFIXES) {
            if (scheme.startsWith(p)) {
                scheme = scheme.substring(p.length());
                break;
            }
        }
        int plus = scheme.indexOf('+');
        String dialectName = plus < 0 ? scheme : scheme.substring(0, plus);
        Dialect dialect = DIALECTS.get(dialectName);
        if (dialect == null) {
            throw new ConfigurationException("not a SQL URL: " + url.masked());
        }
        Options options = options(url, dialect);
        Properties props = new Properties();
        String vhost = url.virtualHost();
        if (dialect == Dialect.SQLITE) {
            if (!url.host().isEmpty()) {
                throw new ConfigurationException("malformed SQLite URL '" + url.masked() + "': a SQLite URL has no host; "
                        + "write sqlite:///relative/path.db or sqlite:////absolute/path.db (three or four slashes), "
                        + "or sqlite:// for the default file");
            }
            Path file = vhost == null || vhost.isEmpty() ? defaultFile() : Path.of(vhost);
            if (file.toString().equals(":memory:")) {
                throw new ConfigurationException("sqlite:///:memory: is private to one JDBC connection and cannot be a broker; "
                        + "use memory:// for an in-process broker, or a file");
            }
            return new SqlUrl(url, dialect, "jdbc:sqlite:" + file, props, file, file.toString(), options);
        }
        if (vhost == null || vhost.isEmpty()) {
            throw new ConfigurationException("no database in " + url.masked() + ": write "
                    + dialectName + "://user[:password]@host[:port]/DATABASE");
        }
        if (vhost.contains("/")) {
            throw new ConfigurationException("malformed database name '" + vhost + "' in " + url.masked());
        }
        String host = url.host().isEmpty() ? "localhost" : url.host();
        String hostPort = (host.contains(":") ? "[" + host + "]" : host) + ":" + url.port(dialect.defaultPort);
        String user = url.user();
        if (user != null) {
            props.setProperty("user", user);
        } else if (dialect == Dialect.POSTGRESQL) {
            props.setProperty("user", System.getProperty("user.name", "postgres"));
        }
        if (url.password() != null) {
            props.setProperty("password", url.password());
        }
        long connectSeconds = Math.max(1, options.connectTimeout().toSeconds());
        String jdbc;
        if (dialect == Dialect.POSTGRESQL) {
            jdbc = "jdbc:postgresql://" + hostPort + "/" + vhost;
            props.setProperty("connectTimeout", Long.toString(connectSeconds));
            props.setProperty("ApplicationName", "kombu4j");
            // Batches of INSERT ... VALUES become multi-row inserts: one round trip for a pipelined batch.
            props.setProperty("reWriteBatchedInserts", "true");
            props.setProperty("tcpKeepAlive", "true");
        } else {
            jdbc = "jdbc:mariadb://" + hostPort + "/" + vhost;
            props.setProperty("connectTimeout", Long.toString(connectSeconds * 1000));
            // Batches go as text (client-side prepared): the binary bulk protocol refuses NEXT VALUE FOR, which
            // the inserts need on a table whose ids come from Kombu's sequence.
            props.setProperty("useBulkStmts", "false");
            props.setProperty("tcpKeepAlive", "true");
        }
        return new SqlUrl(url, dialect, jdbc, props, null, vhost, options);
    }

    private static Options options(BrokerUrl url, Dialect dialect) {
        UrlOptions o = UrlOptions.of(url, "SQL", OPTION_NAMES);
        Duration vt = o.seconds("visibility_timeout", Duration.ofSeconds(30), Duration.ofDays(7));
        if (vt.compareTo(Duration.ofSeconds(1)) < 0) {
            throw o.invalid("visibility_timeout", "at least 1 second (the lease of a message taken but not yet acknowledged)");
        }
        Duration poll = o.seconds("polling_interval", dialect.defaultPollingInterval, Duration.ofSeconds(60));
        if (poll.isZero()) {
            poll = Duration.ofMillis(1);
        }
        int pipeline = o.integer("publish_pipeline", 0, 0, 100_000);
        String queueTable = table(o, "queue_tablename", "kombu_queue");
        String messageTable = table(o, "message_tablename", "kombu_message");
        Duration connect = o.seconds("connect_timeout", Duration.ofSeconds(10), Duration.ofMinutes(10));
        return new Options(vt, poll, pipeline, queueTable, messageTable, connect);
    }

    private static String table(UrlOptions o, String key, String dflt) {
        String v = o.string(key, dflt);
        if (!v.matches("[A-Za-z_][A-Za-z0-9_]{0,62}")) {
            throw o.invalid(key, "a plain SQL table name (letters, digits, underscores)");
        }
        return v;
    }

    /** The default broker file of {@code sqlite://}. */
    static Path defaultFile() {
        String home = System.getenv("KOMBU4J_HOME");
        if (home != null && !home.isBlank()) {
            return Path.of(home, "broker.db");
        }
        String xdg = System.getenv("XDG_DATA_HOME");
        if (xdg != null && !xdg.isBlank()) {
            return Path.of(xdg, "kombu4j", "broker.db");
        }
        return Path.of(System.getProperty("user.home"), ".local", "share", "kombu4j", "broker.db");
    }

    /** What to call this database in messages: the URL without its password, or the SQLite file. */
    String describe() {
        return file != null ? "SQLite file " + file.toAbsolutePath() : url.masked();
    }
}
