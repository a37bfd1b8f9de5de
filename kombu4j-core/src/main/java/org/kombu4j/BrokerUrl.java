package org.kombu4j;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * One parsed broker URL: {@code scheme://[user[:password]@]host[:port][/virtualHost][?option=value&...]}.
 *
 * <p>The password is kept but never shown: {@link #toString()} and {@link #masked()} print it as
 * {@code ***}. Query options are transport options under Kombu's names (e.g. {@code visibility_timeout}).
 * Percent-escapes in the user, password, host, virtual host and options are decoded.
 */
public final class BrokerUrl {
    // Scheme, then an authority that may be empty (memory://), then path and query.
    private static final Pattern FORM = Pattern.compile(
            "^([A-Za-z][A-Za-z0-9+.-]*)://([^/?#]*)(/[^?#]*)?(?:\\?([^#]*))?$");

    private final String scheme;
    private final @Nullable String user;
    private final @Nullable String password;
    private final String host;
    private final int port;
    private final @Nullable String virtualHost;
    private final Map<String, String> options;

    private BrokerUrl(String scheme, @Nullable String user, @Nullable String password, String host, int port,
            @Nullable String virtualHost, Map<String, String> options) {
        this.scheme = scheme;
        this.user = user;
        this.password = password;
        this.host = host;
        this.port = port;
        this.virtualHost = virtualHost;
        this.options = Collections.unmodifiableMap(options);
    }

    /**
     * Parses one URL (not a failover list: see {@link Connection#open(String)}).
     *
     * @throws ConfigurationException naming the problem, with the password masked
     */
    public static BrokerUrl parse(String url) {
        Objects.requireNonNull(url, "url");
        String text = url.trim();
        if (text.isEmpty()) {
            throw new ConfigurationException("empty broker URL: expected scheme://host[:port][/vhost], e.g. redis://localhost:6379/0");
        }
        Matcher m = FORM.matcher(text);
        if (!m.matches()) {
            throw new ConfigurationException("malformed broker URL '" + maskRaw(text)
                    + "': expected scheme://[user[:password]@]host[:port][/vhost][?options], e.g. redis://localhost:6379/0");
        }
        String scheme = m.group(1).toLowerCase(java.util.Locale.ROOT);
        String authority = m.group(2);
        String path = m.group(3);
        String query = m.group(4);

        String user = null;
        String password = null;
        String hostPort = authority;
        int at = authority.lastIndexOf('@');
        if (at >= 0) {
            String userInfo = authority.substring(0, at);
            hostPort = authority.substring(at + 1);
            int colon = userInfo.indexOf(':');
            if (colon >= 0) {
                user = decode(userInfo.substring(0, colon), text);
                password = decode(userInfo.substring(colon + 1), text);
            } else {
                user = decode(userInfo, text);
            }
            if (user != null && user.isEmpty()) {
                user = null;
            }
        }
        String host = hostPort;
        int port = -1;
        if (hostPort.startsWith("[")) {
            int close = hostPort.indexOf(']');
            if (close < 0) {
                throw new ConfigurationException("malformed broker URL '" + maskRaw(text) + "': unclosed '[' in IPv6 host");
            }
            host = hostPort.substring(1, close);
            String rest = hostPort.substring(close + 1);
            if (!rest.isEmpty()) {
                if (!rest.startsWith(":")) {
                    throw new ConfigurationException("malformed broker URL '" + maskRaw(text) + "': junk after IPv6 host");
                }
                port = parsePort(rest.substring(1), text);
            }
        } else {
            int colon = hostPort.lastIndexOf(':');
            if (colon >= 0) {
                host = hostPort.substring(0, colon);
                port = parsePort(hostPort.substring(colon + 1), text);
            }
        }
        host = decode(host, text);
        String vhost = null;
        if (path != null && path.length() > 1) {
            vhost = decode(path.substring(1), text);
        }
        Map<String, String> options = new LinkedHashMap<>();
        if (query != null && !query.isEmpty()) {
            for (String pair : query.split("&")) {
                if (pair.isEmpty()) {
                    continue;
                }
                int eq = pair.indexOf('=');
                String k = decode(eq < 0 ? pair : pair.substring(0, eq), text);
                String v = eq < 0 ? "" : decode(pair.substring(eq + 1), text);
                options.put(k, v);
            }
        }
        return new BrokerUrl(scheme, user, password, host == null ? "" : host, port, vhost, options);
    }

    private static int parsePort(String s, String whole) {
        if (s.isEmpty()) {
            return -1;
        }
        try {
            int p = Integer.parseInt(s);
            if (p < 1 || p > 65535) {
                throw new NumberFormatException();
            }
            return p;
        } catch (NumberFormatException e) {
            throw new ConfigurationException("malformed broker URL '" + maskRaw(whole) + "': port '" + s
                    + "' is not a number from 1 to 65535");
        }
    }

    private static String decode(String s, String whole) {
        try {
            return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new ConfigurationException("malformed broker URL '" + maskRaw(whole) + "': bad %-escape", e);
        }
    }

    /** Masks the password in a URL string that may not even parse; used for error messages and logs. */
    public static String maskRaw(String url) {
        return url.replaceAll("(://[^:/@;?#]*:)[^@/;]*@", "$1***@");
    }

    public String scheme() {
        return scheme;
    }

    public @Nullable String user() {
        return user;
    }

    /** The password, for transports to authenticate with; never log it. */
    public @Nullable String password() {
        return password;
    }

    public String host() {
        return host;
    }

    /** The port, or {@code defaultPort} if the URL gave none. */
    public int port(int defaultPort) {
        return port < 0 ? defaultPort : port;
    }

    public OptionalInt port() {
        return port < 0 ? OptionalInt.empty() : OptionalInt.of(port);
    }

    /** The path after the host: a virtual host on AMQP, a database number on Redis; null if absent. */
    public @Nullable String virtualHost() {
        return virtualHost;
    }

    /** Transport options from the query string, in order. */
    public Map<String, String> options() {
        return options;
    }

    public @Nullable String option(String name) {
        return options.get(name);
    }

    /** An option's value as messages may show it: {@code ***} for a secret (a password, token), null if absent. */
    public @Nullable String shownOption(String name) {
        String v = options.get(name);
        return v == null || !isSecret(name) ? v : "***";
    }

    /** The URL with the password shown as {@code ***}. */
    public String masked() {
        StringBuilder sb = new StringBuilder(scheme).append("://");
        if (user != null || password != null) {
            if (user != null) {
                sb.append(user);
            }
            if (password != null) {
                sb.append(":***");
            }
            sb.append('@');
        }
        sb.append(host.contains(":") ? "[" + host + "]" : host);
        if (port >= 0) {
            sb.append(':').append(port);
        }
        if (virtualHost != null) {
            sb.append('/').append(virtualHost);
        }
        if (!options.isEmpty()) {
            sb.append('?');
            boolean first = true;
            for (Map.Entry<String, String> e : options.entrySet()) {
                if (!first) {
                    sb.append('&');
                }
                first = false;
                sb.append(e.getKey()).append('=').append(isSecret(e.getKey()) ? "***" : e.getValue());
            }
        }
        return sb.toString();
    }

    private static boolean isSecret(String key) {
        String k = key.toLowerCase(java.util.Locale.ROOT);
        // *_kwargs options (Kombu's sentinel_kwargs) are dicts that may hold a password.
        return k.contains("password") || k.contains("secret") || k.contains("token") || k.endsWith("_kwargs");
    }

    @Override
    public String toString() {
        return masked();
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof BrokerUrl)) {
            return false;
        }
        BrokerUrl b = (BrokerUrl) o;
        return scheme.equals(b.scheme) && Objects.equals(user, b.user) && Objects.equals(password, b.password)
                && host.equals(b.host) && port == b.port && Objects.equals(virtualHost, b.virtualHost)
                && options.equals(b.options);
    }

    @Override
    public int hashCode() {
        return Objects.hash(scheme, user, host, port, virtualHost, options);
    }
}
