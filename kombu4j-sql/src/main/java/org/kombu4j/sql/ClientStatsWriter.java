package org.kombu4j.sql;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.kombu4j.OperationalException;
import org.kombu4j.transport.ClientStats;

/**
 * Writes an SQL transport's {@link ClientStats} to our {@code kombu4j_stats} table in one transaction, one batch of
 * the same upsert: per queue that changed, the counts added to the totals row (owner {@code ''}); per queue this
 * client consumes, its row (owner = the client's id) with its consumers and expiry. Python Kombu never reads the table.
 * A clean close deletes the client's rows (and rows of clients expired for an hour, which died without closing).
 */
final class ClientStatsWriter implements ClientStats.Sink {
    private final SqlTransport transport;
    private Set<String> consumedBefore = Set.of(); // the stats thread only

    ClientStatsWriter(SqlTransport transport) {
        this.transport = transport;
    }

    @Override
    public void write(Map<String, long[]> counts, @Nullable Map<String, Integer> consumers, String id, long expiresAtMillis) {
        if (!transport.isConnected()) {
            throw new OperationalException("not connected"); // the counts wait in memory; connecting is the caller's business
        }
        boolean gone = consumers != null && consumers.isEmpty();
        transport.control("write client statistics", s -> s.inTransaction(() -> {
            s.catalog().writeClientStats(counts, gone ? null : consumers, consumedBefore, id, expiresAtMillis);
            if (gone) {
                s.catalog().removeClientStats(id, expiresAtMillis - ClientStats.EXPIRY_MS);
            }
            return null;
        }));
        if (consumers != null) {
            consumedBefore = new HashSet<>(consumers.keySet());
        }
    }
}
