package org.kombu4j.sql;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * What differs between the three databases: their DDL for Kombu's tables (as SQLAlchemy 1.4 creates
 * them for Kombu 5, so that Python finds what it expects), how a boolean is written, how rows are
 * claimed, and the default back-off of the idle probe.
 */
enum Dialect {
    SQLITE("SQLite", 0, Duration.ofMillis(25)),
    POSTGRESQL("PostgreSQL", 5432, Duration.ofSeconds(5)),
    MARIADB("MariaDB", 3306, Duration.ofMillis(50));

    final String displayName;
    final int defaultPort;
    /** The longest idle wait between probes for new rows; PostgreSQL is woken by NOTIFY instead. */
    final Duration defaultPollingInterval;

    Dialect(String displayName, int defaultPort, Duration defaultPollingInterval) {
        this.displayName = displayName;
        this.defaultPort = defaultPort;
        this.defaultPollingInterval = defaultPollingInterval;
    }

    String bool(boolean v) {
        return this == POSTGRESQL ? (v ? "TRUE" : "FALSE") : (v ? "1" : "0");
    }


    /** Whether one {@code UPDATE ... RETURNING} claims (PostgreSQL); else a select and an update in one transaction. */
    boolean updateReturning() {
        return this == POSTGRESQL;
    }

    /** The expression that takes the next id from Kombu's sequence {@code seq}. */
    String nextValue(String seq) {
        return this == POSTGRESQL ? "nextval('" + seq + "')" : "NEXT VALUE FOR " + seq;
    }

    private String quotedTimestamp() {
        return switch (this) {
            case POSTGRESQL -> "\"timestamp\"";
            case MARIADB -> "`timestamp`";
            case SQLITE -> "timestamp";
        };
    }

    /** Kombu's two tables, their sequences and indexes, each statement safe to run when they exist. */
    List<String> createKombuTables(String queue, String message) {
        List<String> s = new ArrayList<>();
        String ts = quotedTimestamp();
        switch (this) {
            case POSTGRESQL -> {
                s.add("CREATE SEQUENCE IF NOT EXISTS queue_id_sequence");
                s.add("CREATE SEQUENCE IF NOT EXISTS message_id_sequence");
                s.add("CREATE TABLE IF NOT EXISTS " + queue + " (id INTEGER NOT NULL DEFAULT nextval('queue_id_sequence'), "
                        + "name VARCHAR(200), PRIMARY KEY (id), UNIQUE (name))");
                s.add("CREATE TABLE IF NOT EXISTS " + message + " (id INTEGER NOT NULL DEFAULT nextval('message_id_sequence'), "
                        + "visible BOOLEAN, " + ts + " TIMESTAMP WITHOUT TIME ZONE, payload TEXT NOT NULL, version SMALLINT NOT NULL, "
                        + "queue_id INTEGER, PRIMARY KEY (id), CONSTRAINT \"FK_kombu_message_queue\" FOREIGN KEY (queue_id) REFERENCES "
                        + queue + " (id))");
            }
            case MARIADB -> {
                s.add("CREATE SEQUENCE IF NOT EXISTS queue_id_sequence");
                s.add("CREATE SEQUENCE IF NOT EXISTS message_id_sequence");
                s.add("CREATE TABLE IF NOT EXISTS " + queue + " (id INTEGER NOT NULL, name VARCHAR(200), PRIMARY KEY (id), "
                        + "UNIQUE (name)) ENGINE=InnoDB");
                // LONGTEXT where SQLAlchemy writes TEXT (64 KiB on MariaDB): Python reads either, and bodies are not capped.
                s.add("CREATE TABLE IF NOT EXISTS " + message + " (id INTEGER NOT NULL, visible BOOL, " + ts + " DATETIME, "
                        + "payload LONGTEXT NOT NULL, version SMALLINT NOT NULL, queue_id INTEGER, PRIMARY KEY (id), "
                        + "CONSTRAINT FK_kombu_message_queue FOREIGN KEY (queue_id) REFERENCES " + queue + " (id)) ENGINE=InnoDB");
            }
            case SQLITE -> {
                s.add("CREATE TABLE IF NOT EXISTS " + queue + " (id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, name VARCHAR(200), "
                        + "UNIQUE (name))");
                s.add("CREATE TABLE IF NOT EXISTS " + message + " (id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, visible BOOLEAN, "
                        + ts + " DATETIME, payload TEXT NOT NULL, version SMALLINT NOT NULL, queue_id INTEGER, "
                        + "CONSTRAINT \"FK_kombu_message_queue\" FOREIGN KEY (queue_id) REFERENCES " + queue + " (id))");
            }
        }
        if (this == MARIADB) {
            // No partial indexes here: Kombu's own set, as SQLAlchemy makes it.
            s.add("CREATE INDEX IF NOT EXISTS ix_" + message + "_visible ON " + message + " (visible)");
            s.add("CREATE INDEX IF NOT EXISTS ix_" + message + "_timestamp ON " + message + " (" + ts + ")");
            s.add("CREATE INDEX IF NOT EXISTS ix_" + message + "_timestamp_id ON " + message + " (" + ts + ", id)");
            return s;
        }
        // Kombu's three full indexes (visible, timestamp, timestamp+id) would take an entry for every row version, so
        // every claim would write three index entries that no query needs. Partial indexes serve the same queries and
        // take entries only for rows in the state they find. Python Kombu's get ("queue_id = ? AND visible != false
        // ORDER BY timestamp, id LIMIT 1") is served by the first, in the form each database matches against its
        // query: PostgreSQL folds "visible != false" to "visible"; SQLite compares the terms as written (Python's
        // SQLAlchemy writes "visible != 0"). Python makes no index on a table that exists, so this set stays.
        String ready = this == POSTGRESQL ? "visible" : "visible != 0";
        s.add("CREATE INDEX IF NOT EXISTS ix_kombu4j_" + message + "_fifo ON " + message + " (queue_id, " + ts + ", id) WHERE " + ready);
        return s;
    }

    /**
     * On a message table we made (PostgreSQL, SQLite), the index of taken rows by queue and lease, which the lease
     * sweep reads: a claim writes this entry and the primary key's, and nothing else.
     */
    List<String> createTakenIndex(String message) {
        if (this == MARIADB) {
            return List.of();
        }
        return List.of("CREATE INDEX IF NOT EXISTS ix_kombu4j_" + message + "_taken ON " + message
                + " (queue_id, lease_until) WHERE visible = " + bool(false));
    }

    /** Our columns on Kombu's message table (Python ignores them; their defaults fill Python's inserts). */
    List<String> addOurColumns(String message, List<String> missing) {
        List<String> s = new ArrayList<>();
        String ifNot = this == SQLITE ? "" : "IF NOT EXISTS ";
        for (String col : missing) {
            String type = switch (col) {
                case "lease_until" -> "BIGINT";
                case "priority" -> "SMALLINT NOT NULL DEFAULT 0";
                case "delivery_count" -> "INTEGER NOT NULL DEFAULT 0";
                // When our claim took the row (epoch ms, the database's clock): the monitor's oldest-unacked age.
                // Null in rows Python Kombu took, and in rows never taken.
                case "delivered_at" -> "BIGINT";
                default -> throw new IllegalArgumentException(col);
            };
            s.add("ALTER TABLE " + message + " ADD COLUMN " + ifNot + col + " " + type);
        }
        return s;
    }

    /** Our indexes and tables; each statement safe to run when they exist. */
    List<String> createOurs(String message, String exchangeTable, String bindingTable, String queueArgsTable, String statsTable) {
        List<String> s = new ArrayList<>();
        String partial = this == MARIADB ? "" : " WHERE visible = " + bool(true);
        // The claim reads ready rows of one queue, highest priority first, oldest first: this index serves it alone.
        s.add("CREATE INDEX IF NOT EXISTS ix_kombu4j_" + message + "_claim ON " + message
                + " (queue_id, priority DESC, id)" + partial);
        // On tables Kombu made, the sweep, twice a lease, finds taken rows through Kombu's index on visible (on ours,
        // through the partial index on taken rows).
        String engine = this == MARIADB ? " ENGINE=InnoDB" : "";
        s.add("CREATE TABLE IF NOT EXISTS " + exchangeTable + " (name VARCHAR(200) NOT NULL, type VARCHAR(16) NOT NULL, "
                + "PRIMARY KEY (name))" + engine);
        s.add("CREATE TABLE IF NOT EXISTS " + bindingTable + " (exchange VARCHAR(200) NOT NULL, queue VARCHAR(200) NOT NULL, "
                + "routing_key VARCHAR(255) NOT NULL, arguments TEXT, PRIMARY KEY (exchange, queue, routing_key))" + engine);
        // Queue arguments Kombu's queue table has no room for: the dead-letter target and the delivery limit.
        s.add("CREATE TABLE IF NOT EXISTS " + queueArgsTable + " (name VARCHAR(200) NOT NULL, dead_letter_exchange VARCHAR(200), "
                + "dead_letter_routing_key VARCHAR(255), delivery_limit INTEGER, PRIMARY KEY (name))" + engine);
        // What kombu4j clients count for a monitor (ClientStatsWriter): per queue, the running totals in the row of owner
        // '' and each live client's consumers in a row of its own, valid until expires_at (epoch ms).
        s.add("CREATE TABLE IF NOT EXISTS " + statsTable + " (queue VARCHAR(200) NOT NULL, owner VARCHAR(64) NOT NULL, "
                + "published BIGINT NOT NULL DEFAULT 0, delivered BIGINT NOT NULL DEFAULT 0, consumers INTEGER NOT NULL DEFAULT 0, "
                + "expires_at BIGINT NOT NULL DEFAULT 0, PRIMARY KEY (queue, owner))" + engine);
        if (this == POSTGRESQL) {
            // Wakes LISTENers on every row inserted ready, whoever wrote it (Python Kombu too); a NOTIFY is sent
            // at commit, and repeats of one payload in a transaction are folded into one. Rows made ready by an
            // update are only ever ours (a restore, the lease sweep): those statements notify once per queue
            // themselves (SqlStore), rather than through a trigger call per row, which made a sweep of a thousand due
            // rows cost tens of milliseconds.
            String fn = "kombu4j_notify_" + message;
            s.add("CREATE OR REPLACE FUNCTION " + fn + "() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                    + "PERFORM pg_notify('" + notifyChannel(message) + "', NEW.queue_id::text); RETURN NULL; END $$");
            // Dropped and made again rather than CREATE OR REPLACE TRIGGER, which needs PostgreSQL 14.
            s.add("DROP TRIGGER IF EXISTS " + READY_TRIGGER + " ON " + message);
            s.add("CREATE TRIGGER " + READY_TRIGGER + " AFTER INSERT ON " + message
                    + " FOR EACH ROW WHEN (NEW.visible) EXECUTE FUNCTION " + fn + "()");
            // A delayed row (inserted not visible, due at lease_until) tells consumers its due time, "queue:due", so
            // one in another process that waits for a later one sweeps in time. Claims (updates) do not fire it.
            String delayedFn = "kombu4j_notify_delayed_" + message;
            s.add("CREATE OR REPLACE FUNCTION " + delayedFn + "() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                    + "PERFORM pg_notify('" + notifyChannel(message) + "', NEW.queue_id::text || ':' || NEW.lease_until::text); "
                    + "RETURN NULL; END $$");
            s.add("DROP TRIGGER IF EXISTS " + DELAYED_TRIGGER + " ON " + message);
            s.add("CREATE TRIGGER " + DELAYED_TRIGGER + " AFTER INSERT ON " + message
                    + " FOR EACH ROW WHEN (NOT NEW.visible AND NEW.lease_until IS NOT NULL) EXECUTE FUNCTION " + delayedFn + "()");
        }
        return s;
    }

    /** The trigger that announces rows inserted ready (see {@link #createOurs}). */
    static final String READY_TRIGGER = "kombu4j_notify";
    /** The trigger that announces delayed rows (see {@link #createOurs}). */
    static final String DELAYED_TRIGGER = "kombu4j_notify_delayed";

    /** The NOTIFY channel of a message table. */
    static String notifyChannel(String message) {
        return "kombu4j_" + message;
    }

    /**
     * An insert that replaces the {@code update} columns of the row with the same {@code key}: one statement, so two
     * connections storing the same row at once both succeed (a DELETE then INSERT in READ COMMITTED lets both delete
     * nothing, and the second INSERT then violates the key).
     */
    String upsert(String table, List<String> key, List<String> update) {
        List<String> all = new ArrayList<>(key);
        all.addAll(update);
        String cols = String.join(", ", all);
        String vals = String.join(", ", java.util.Collections.nCopies(all.size(), "?"));
        String insert = "INSERT INTO " + table + " (" + cols + ") VALUES (" + vals + ")";
        List<String> sets = new ArrayList<>();
        for (String u : update) {
            sets.add(u + (this == MARIADB ? " = VALUES(" + u + ")" : " = excluded." + u));
        }
        return switch (this) {
            case POSTGRESQL, SQLITE -> insert + " ON CONFLICT (" + String.join(", ", key) + ") DO UPDATE SET " + String.join(", ", sets);
            case MARIADB -> insert + " ON DUPLICATE KEY UPDATE " + String.join(", ", sets);
        };
    }

    /** The database's clock in epoch milliseconds, as an SQL expression. */
    String nowMillis() {
        return switch (this) {
            case POSTGRESQL -> "CAST(EXTRACT(EPOCH FROM CLOCK_TIMESTAMP()) * 1000 AS BIGINT)";
            case MARIADB -> "CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED)";
            case SQLITE -> "CAST((JULIANDAY('now') - 2440587.5) * 86400000 AS INTEGER)";
        };
    }

    /**
     * The statistics upsert (one row, run as a batch): adds published and delivered to the row's totals, replaces its
     * consumers and expiry. Parameters: queue, owner, published, delivered, consumers, expires_at.
     */
    String statsUpsert(String table) {
        String insert = "INSERT INTO " + table + " (queue, owner, published, delivered, consumers, expires_at) VALUES (?, ?, ?, ?, ?, ?)";
        return switch (this) {
            case POSTGRESQL, SQLITE -> insert + " ON CONFLICT (queue, owner) DO UPDATE SET published = " + table
                    + ".published + excluded.published, delivered = " + table + ".delivered + excluded.delivered, "
                    + "consumers = excluded.consumers, expires_at = excluded.expires_at";
            case MARIADB -> insert + " ON DUPLICATE KEY UPDATE published = published + VALUES(published), "
                    + "delivered = delivered + VALUES(delivered), consumers = VALUES(consumers), expires_at = VALUES(expires_at)";
        };
    }

    /** An upsert that leaves an existing row alone. */
    String insertIgnore(String table, String columns, String values) {
        return switch (this) {
            case POSTGRESQL -> "INSERT INTO " + table + " (" + columns + ") VALUES (" + values + ") ON CONFLICT DO NOTHING";
            case MARIADB -> "INSERT IGNORE INTO " + table + " (" + columns + ") VALUES (" + values + ")";
            case SQLITE -> "INSERT OR IGNORE INTO " + table + " (" + columns + ") VALUES (" + values + ")";
        };
    }
}
