package org.kombu4j.sql;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The fetchers of this JVM per database, so that a publish wakes consumers in the same process at
 * once instead of at their next probe (other processes learn of it by NOTIFY or their probe).
 */
final class LocalWakeups {
    private static final ConcurrentHashMap<String, Set<Fetcher>> BY_DATABASE = new ConcurrentHashMap<>();

    private LocalWakeups() {
    }

    private static String key(SqlUrl url) {
        return url.jdbcUrl() + "#" + url.options().messageTable();
    }

    static void add(SqlUrl url, Fetcher f) {
        BY_DATABASE.computeIfAbsent(key(url), k -> ConcurrentHashMap.newKeySet()).add(f);
    }

    static void remove(SqlUrl url, Fetcher f) {
        Set<Fetcher> s = BY_DATABASE.get(key(url));
        if (s != null) {
            s.remove(f);
        }
    }

    static void signal(SqlUrl url) {
        Set<Fetcher> s = BY_DATABASE.get(key(url));
        if (s != null) {
            for (Fetcher f : s) {
                f.newRows();
            }
        }
    }

    /** A delayed message due at {@code deliverAt} (epoch ms) was written. */
    static void delayed(SqlUrl url, long deliverAt) {
        Set<Fetcher> s = BY_DATABASE.get(key(url));
        if (s != null) {
            for (Fetcher f : s) {
                f.dueAt(deliverAt);
            }
        }
    }
}
