package org.kombu4j.redis.internal;

/** An error reply ({@code -ERR ...} or RESP3 {@code !}): a value, not an exception, so pipelines keep their order. */
public record RespError(String message) {
    /** The first word, e.g. {@code NOSCRIPT}, {@code WRONGPASS}. */
    public String code() {
        int sp = message.indexOf(' ');
        return sp < 0 ? message : message.substring(0, sp);
    }
}
