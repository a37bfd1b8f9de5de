package org.kombu4j.sql;

import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientConnectionException;
import org.kombu4j.AccessRefusedException;
import org.kombu4j.KombuException;
import org.kombu4j.OperationalException;
import org.kombu4j.PreconditionFailedException;

/**
 * Turns JDBC's {@link SQLException}s into kombu4j's exceptions at the transport's edge: a lost or
 * refused connection is an {@link OperationalException} (retryable); a refused login, a missing database
 * or a SQLite file that cannot be opened for writing an {@link AccessRefusedException}; a file that is not
 * a SQLite database a {@link PreconditionFailedException};
 * each message names the database (URL without password, or the SQLite file) and what the server said.
 */
final class SqlErrors {
    // SQLite's primary result codes (sqlite3.h) that mean the file itself is the problem.
    private static final int SQLITE_PERM = 3;
    private static final int SQLITE_READONLY = 8;
    private static final int SQLITE_NOTADB = 26;
    private static final int SQLITE_CANTOPEN = 14;
    private static final int SQLITE_IOERR = 10;

    private SqlErrors() {
    }

    /** Whether {@code e} means the connection is gone (so the transport reconnects), rather than a statement failed. */
    static boolean isConnectionLoss(SQLException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLNonTransientConnectionException || t instanceof SQLTransientConnectionException
                    || t instanceof SQLRecoverableException || t instanceof java.io.IOException) {
                return true;
            }
            if (t instanceof SQLException s) {
                String state = s.getSQLState();
                if (state != null && (state.startsWith("08") || state.startsWith("57P") || state.equals("53300")
                        || state.equals("HY000") && isMariaDbDisconnect(s))) {
                    return true;
                }
            }
        }
        return false;
    }

    private static boolean isMariaDbDisconnect(SQLException s) {
        String m = s.getMessage();
        return m != null && (m.contains("Connection reset") || m.contains("socket") || m.contains("closed"));
    }

    /** The exception for a failed connect to {@code url}. */
    static KombuException onConnect(SqlUrl url, SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        String what = url.dialect().displayName + " at " + url.describe();
        String server = firstLine(e.getMessage());
        if (url.dialect() == Dialect.SQLITE) {
            int code = e.getErrorCode() & 0xff;
            // Refused by the file system, not bad input: like a refused login, retrying will not help and the
            // URL may be right (the command line exits 1 for these, 2 for a malformed URL).
            if (code == SQLITE_CANTOPEN || code == SQLITE_READONLY || code == SQLITE_PERM || code == SQLITE_IOERR) {
                return new AccessRefusedException("cannot open " + url.describe() + " for writing: " + server
                        + " (check that the directory exists and is writable, or choose another file with sqlite:////path/file.db)", e);
            }
            if (code == SQLITE_NOTADB) {
                return new PreconditionFailedException(url.describe() + " is not a SQLite database: " + server
                        + " (choose another file with sqlite:////path/file.db)", e);
            }
            return new OperationalException("cannot use " + url.describe() + ": " + server, e);
        }
        if (state.startsWith("28") || e.getErrorCode() == 1045) {
            String user = url.url().user() == null ? url.properties().getProperty("user", "") : url.url().user();
            return new AccessRefusedException(url.dialect().displayName + " refused user '" + user + "' at "
                    + url.describe() + ": " + server, e);
        }
        if (state.equals("3D000") || e.getErrorCode() == 1049) {
            // The server's answer, as RabbitMQ's for an unknown virtual host.
            return new AccessRefusedException("database '" + url.database() + "' does not exist on " + what + ": " + server
                    + " (create it first)", e);
        }
        return new OperationalException("cannot connect to " + what + ": " + server, e);
    }

    /** The exception for a statement that failed while doing {@code doing}. */
    static KombuException onStatement(SqlUrl url, String doing, SQLException e) {
        String msg = "cannot " + doing + " on " + url.describe() + ": " + firstLine(e.getMessage());
        return isConnectionLoss(e) ? new OperationalException(msg, e) : new KombuException(msg, e);
    }

    static String firstLine(String s) {
        if (s == null) {
            return "(no message)";
        }
        int nl = s.indexOf('\n');
        return (nl < 0 ? s : s.substring(0, nl)).trim();
    }
}
