package org.kombu4j.sql;

import org.jspecify.annotations.Nullable;

/** PostgreSQL LISTEN/NOTIFY wake-ups for a {@link Fetcher} (being integrated; until then the fetcher probes). */
final class PgWakeups {
    private PgWakeups() {
    }

    static @Nullable PgWakeups open(SqlUrl url, Fetcher fetcher) {
        return null;
    }

    void wakeSelector() {
    }

    void awaitOnThisThread(long nanos) {
    }

    void close() {
    }
}
