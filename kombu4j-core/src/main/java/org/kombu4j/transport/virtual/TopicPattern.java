package org.kombu4j.transport.virtual;

/**
 * AMQP topic matching: words separated by {@code .}; {@code *} matches exactly one word,
 * {@code #} zero or more. Unlike Kombu's regex translation (WIRE.md §3, §12.7), {@code *}
 * never spans a dot, so {@code a.*} does not match {@code a.b.c} and {@code a.#} matches {@code a}.
 */
public final class TopicPattern {
    private final String[] words;

    private TopicPattern(String pattern) {
        this.words = split(pattern);
    }

    public static TopicPattern compile(String pattern) {
        return new TopicPattern(pattern);
    }

    public boolean matches(String routingKey) {
        return matches(split(routingKey));
    }

    /** Matches a routing key already split into words by {@link #split}, so a key is split once per route. */
    public boolean matches(String[] routingKeyWords) {
        return match(words, 0, routingKeyWords, 0);
    }

    /** Splits a routing key into its dot-separated words (empty words kept). */
    public static String[] split(String routingKey) {
        int n = 1;
        for (int i = 0; i < routingKey.length(); i++) {
            if (routingKey.charAt(i) == '.') {
                n++;
            }
        }
        String[] out = new String[n];
        int start = 0;
        int k = 0;
        for (int i = 0; i < routingKey.length(); i++) {
            if (routingKey.charAt(i) == '.') {
                out[k++] = routingKey.substring(start, i);
                start = i + 1;
            }
        }
        out[k] = routingKey.substring(start);
        return out;
    }

    private static boolean match(String[] p, int pi, String[] k, int ki) {
        while (pi < p.length) {
            String w = p[pi];
            if (w.equals("#")) {
                if (pi == p.length - 1) {
                    return true;
                }
                for (int skip = ki; skip <= k.length; skip++) {
                    if (match(p, pi + 1, k, skip)) {
                        return true;
                    }
                }
                return false;
            }
            if (ki >= k.length) {
                return false;
            }
            if (!w.equals("*") && !w.equals(k[ki])) {
                return false;
            }
            pi++;
            ki++;
        }
        return ki == k.length;
    }
}
