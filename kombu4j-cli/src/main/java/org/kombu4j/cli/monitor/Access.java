package org.kombu4j.cli.monitor;

import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The monitor's credential check: a bearer token ({@code Authorization: Bearer T}, {@code ?token=T} once, then
 * a cookie, since a browser's {@code EventSource} cannot send headers) and/or HTTP basic auth. With neither
 * configured (loopback binds only: the command refuses to start otherwise) a request passes if its {@code Host}
 * names loopback, against DNS rebinding. A request
 * without the credential gets 401 and a fixed body: nothing about the broker.
 */
public final class Access extends Filter {
    static final String COOKIE = "kombu4j_monitor_token";

    private final byte @Nullable [] token;
    private final byte @Nullable [] basic; // "user:pass"

    /**
     * @param token the token, or null for none
     * @param basicAuth {@code user:pass}, or null for none
     */
    public Access(@Nullable String token, @Nullable String basicAuth) {
        this.token = token == null ? null : token.getBytes(StandardCharsets.UTF_8);
        this.basic = basicAuth == null ? null : basicAuth.getBytes(StandardCharsets.UTF_8);
    }

    /** Whether any credential is required. */
    public boolean required() {
        return token != null || basic != null;
    }

    @Override
    public void doFilter(HttpExchange ex, Chain chain) throws IOException {
        if (!required()) {
            // Loopback without a credential: only requests addressed to a loopback name, so a web page elsewhere
            // cannot read the monitor by pointing its own host name at 127.0.0.1 (DNS rebinding).
            if (loopbackHost(ex.getRequestHeaders().getFirst("Host"))) {
                chain.doFilter(ex);
            } else {
                ex.getRequestBody().readAllBytes();
                byte[] body = "403 Forbidden: this monitor answers only requests for localhost, 127.0.0.1 or [::1]\n"
                        .getBytes(StandardCharsets.UTF_8);
                ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
                ex.sendResponseHeaders(403, body.length);
                try (OutputStream out = ex.getResponseBody()) {
                    out.write(body);
                }
            }
            return;
        }
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        if (auth != null) {
            if (token != null && auth.regionMatches(true, 0, "Bearer ", 0, 7) && same(token, auth.substring(7).strip())) {
                chain.doFilter(ex);
                return;
            }
            if (basic != null && auth.regionMatches(true, 0, "Basic ", 0, 6)) {
                byte[] given;
                try {
                    given = Base64.getDecoder().decode(auth.substring(6).strip());
                } catch (IllegalArgumentException e) {
                    given = new byte[0];
                }
                if (MessageDigest.isEqual(basic, given)) {
                    chain.doFilter(ex);
                    return;
                }
            }
        }
        if (token != null) {
            String fromQuery = queryToken(ex.getRequestURI().getRawQuery());
            if (fromQuery != null && same(token, fromQuery)) {
                // The page's own requests (fetch, EventSource) then carry the cookie; HttpOnly keeps it from scripts.
                ex.getResponseHeaders().add("Set-Cookie", COOKIE + "=" + java.net.URLEncoder.encode(fromQuery, StandardCharsets.UTF_8)
                        + "; Path=/; HttpOnly; SameSite=Strict");
                chain.doFilter(ex);
                return;
            }
            String fromCookie = cookieToken(ex.getRequestHeaders().get("Cookie"));
            if (fromCookie != null && same(token, fromCookie)) {
                chain.doFilter(ex);
                return;
            }
        }
        // The body is drained so the connection can be reused; the answer says nothing about the broker.
        ex.getRequestBody().readAllBytes();
        if (basic != null) {
            ex.getResponseHeaders().add("WWW-Authenticate", "Basic realm=\"kombu4j monitor\", charset=\"UTF-8\"");
        } else {
            ex.getResponseHeaders().add("WWW-Authenticate", "Bearer realm=\"kombu4j monitor\"");
        }
        byte[] body = ("401 Unauthorized: this monitor needs a credential ("
                + (token != null && basic != null ? "a token or basic auth" : token != null ? "a token: Authorization: Bearer, or ?token=" : "basic auth")
                + ")\n").getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        ex.getResponseHeaders().set("Cache-Control", "no-store");
        ex.sendResponseHeaders(401, body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }

    /** Whether a Host header names loopback: {@code localhost}, {@code 127.x.y.z} or {@code [::1]}, any port. */
    static boolean loopbackHost(@Nullable String host) {
        if (host == null) {
            return true; // HTTP/1.0 without Host: not a browser request
        }
        String h = host.strip().toLowerCase(java.util.Locale.ROOT);
        if (h.startsWith("[")) {
            int end = h.indexOf(']');
            return end > 0 && h.substring(1, end).equals("::1");
        }
        int colon = h.indexOf(':');
        String name = colon >= 0 ? h.substring(0, colon) : h;
        return name.equals("localhost") || name.endsWith(".localhost") || name.matches("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");
    }

    private static boolean same(byte[] expected, String given) {
        return MessageDigest.isEqual(expected, given.getBytes(StandardCharsets.UTF_8));
    }

    private static @Nullable String queryToken(@Nullable String rawQuery) {
        if (rawQuery == null) {
            return null;
        }
        for (String part : rawQuery.split("&")) {
            if (part.startsWith("token=")) {
                return URLDecoder.decode(part.substring(6), StandardCharsets.UTF_8);
            }
        }
        return null;
    }

    private static @Nullable String cookieToken(@Nullable List<String> headers) {
        if (headers == null) {
            return null;
        }
        for (String h : headers) {
            for (String c : h.split(";")) {
                String s = c.strip();
                if (s.startsWith(COOKIE + "=")) {
                    return URLDecoder.decode(s.substring(COOKIE.length() + 1), StandardCharsets.UTF_8);
                }
            }
        }
        return null;
    }

    @Override
    public String description() {
        return "kombu4j monitor credential check";
    }
}
