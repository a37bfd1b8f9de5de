package org.kombu4j.sql;

import java.util.LinkedHashSet;
import java.util.Set;
import org.kombu4j.BrokerUrl;
import org.kombu4j.transport.Transport;
import org.kombu4j.transport.TransportFactory;

/**
 * Registers the SQL transport for {@code sqlite}, {@code postgresql}/{@code postgres} and
 * {@code mysql}/{@code mariadb}, each also with a driver suffix as SQLAlchemy writes it
 * ({@code postgresql+psycopg2}) and Kombu's {@code sqla+}/{@code sqlalchemy+} prefixes, so that one
 * URL string serves Python Kombu and kombu4j.
 */
public final class SqlTransportFactory implements TransportFactory {
    /** The schemes, every prefix and driver combination spelled out: the transport registry matches schemes exactly. */
    static final Set<String> SCHEMES = allSchemes();

    private static Set<String> allSchemes() {
        Set<String> base = new LinkedHashSet<>();
        for (String d : SqlUrl.DIALECTS.keySet()) {
            base.add(d);
        }
        for (String d : SqlUrl.DRIVERS) {
            base.add(d);
        }
        Set<String> all = new LinkedHashSet<>(base);
        for (String b : base) {
            for (String prefix : SqlUrl.PREFIXES) {
                all.add(prefix + b);
            }
        }
        return Set.copyOf(all);
    }

    @Override
    public Set<String> schemes() {
        return SCHEMES;
    }

    @Override
    public Transport create(BrokerUrl url) {
        return new SqlTransport(SqlUrl.of(url));
    }
}
