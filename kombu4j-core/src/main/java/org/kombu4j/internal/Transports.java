package org.kombu4j.internal;

import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;
import org.kombu4j.BrokerUrl;
import org.kombu4j.ConfigurationException;
import org.kombu4j.transport.Transport;
import org.kombu4j.transport.TransportFactory;

/** Finds transports by URL scheme through {@link ServiceLoader}. */
public final class Transports {
    private Transports() {
    }

    /** Every scheme on the classpath and its factory, sorted by scheme. */
    public static Map<String, TransportFactory> available(ClassLoader loader) {
        Map<String, TransportFactory> out = new TreeMap<>();
        for (TransportFactory f : ServiceLoader.load(TransportFactory.class, loader)) {
            for (String s : f.schemes()) {
                out.putIfAbsent(s, f);
            }
        }
        return out;
    }

    /**
     * Creates the transport for {@code url}.
     *
     * @throws ConfigurationException for an unknown scheme, naming the known ones
     */
    public static Transport create(BrokerUrl url) {
        return factory(url).create(url);
    }

    /**
     * The factory for {@code url}'s scheme.
     *
     * @throws ConfigurationException for an unknown scheme, naming the known ones
     */
    public static TransportFactory factory(BrokerUrl url) {
        ClassLoader cl = Thread.currentThread().getContextClassLoader();
        if (cl == null) {
            cl = Transports.class.getClassLoader();
        }
        Map<String, TransportFactory> all = available(cl);
        if (all.isEmpty() && cl != Transports.class.getClassLoader()) {
            all = available(Transports.class.getClassLoader());
        }
        TransportFactory f = all.get(url.scheme());
        if (f == null) {
            throw new ConfigurationException("unknown transport scheme '" + url.scheme() + "' in URL '" + url.masked()
                    + "': known schemes are " + String.join(", ", all.keySet())
                    + " (a transport is found when its module, e.g. kombu4j-redis, is on the classpath)");
        }
        return f;
    }
}
