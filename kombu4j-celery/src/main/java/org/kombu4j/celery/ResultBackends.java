package org.kombu4j.celery;

import java.util.Locale;
import org.jspecify.annotations.Nullable;
import org.kombu4j.ConfigurationException;

/** Opens a {@link ResultBackend} from Celery's backend URL. */
public final class ResultBackends {
    private ResultBackends() {
    }

    /**
     * {@code redis://[user:password@]host[:port][/db]} ({@code rediss://} is not supported yet), or {@code rpc://}
     * (results come back as messages on the broker {@code brokerUrl}, over a connection of the backend's own); null, empty or {@code disabled}: no backend (null).
     *
     * @throws ConfigurationException for any other URL
     */
    public static @Nullable ResultBackend open(@Nullable String url, String brokerUrl) {
        if (url == null || url.isBlank() || url.equals("disabled")) {
            return null;
        }
        String scheme = url.contains("://") ? url.substring(0, url.indexOf("://")).toLowerCase(Locale.ROOT) : "";
        return switch (scheme) {
            case "redis" -> RedisResultBackend.open(url);
            case "rpc" -> new RpcResultBackend(brokerUrl);
            default -> throw new ConfigurationException("unsupported result backend URL '" + mask(url)
                    + "': use redis://host:port/db or rpc://");
        };
    }

    static String mask(String url) {
        return url.replaceAll("(://[^:/@]*:)[^@/]*@", "$1***@");
    }
}
