package org.kombu4j.transport;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;
import org.kombu4j.BrokerUrl;
import org.kombu4j.ConfigurationException;
import org.kombu4j.serialization.JsonMode;

/**
 * The query options of a broker URL, read with Kombu's spellings: one parser for every transport.
 *
 * <p>A value that is absent or blank is <em>unset</em> and gives the caller's default; for booleans
 * and durations {@code none} (Python's {@code None}) is unset too. Booleans are
 * {@code true/false/1/0/yes/no/on/off} in any case; durations are seconds, decimals allowed, as in
 * Kombu. Every error is a {@link ConfigurationException} that names the option and shows the URL
 * with its password masked.
 */
public final class UrlOptions {
    /** The spellings of true, lower case, for a {@link #choice} that also takes booleans. */
    public static final List<String> TRUE_WORDS = List.of("true", "1", "yes", "on");
    /** The spellings of false, lower case. */
    public static final List<String> FALSE_WORDS = List.of("false", "0", "no", "off");

    /** Options the connection reads for itself, allowed in every transport's URL: {@code json_mode}. */
    public static final Set<String> CONNECTION_OPTIONS = Set.of(JsonMode.URL_OPTION);

    private final BrokerUrl url;

    private UrlOptions(BrokerUrl url) {
        this.url = url;
    }

    /**
     * The options of {@code url}, every one of which must be in {@code known} — so that a typo is
     * refused instead of silently keeping a default.
     *
     * @param transport the transport's name for the message, e.g. {@code Redis}
     * @throws ConfigurationException naming the first unknown option and listing the known ones
     */
    public static UrlOptions of(BrokerUrl url, String transport, Collection<String> known) {
        for (String k : url.options().keySet()) {
            if (!known.contains(k) && !CONNECTION_OPTIONS.contains(k)) {
                TreeSet<String> all = new TreeSet<>(known);
                all.addAll(CONNECTION_OPTIONS);
                throw new ConfigurationException("unknown option '" + k + "' in " + url.masked() + ": the "
                        + transport + " transport knows " + String.join(", ", all));
            }
        }
        return new UrlOptions(url);
    }

    /** The URL the options came from. */
    public BrokerUrl url() {
        return url;
    }

    /** Whether the option has a value (is present and not blank). */
    public boolean isSet(String key) {
        String v = url.option(key);
        return v != null && !v.isBlank();
    }

    /** The value as given, or null when absent or empty (Kombu's {@code opt(...) or None}). */
    public @Nullable String string(String key) {
        String v = url.option(key);
        return v == null || v.isEmpty() ? null : v;
    }

    /** The value as given, or {@code dflt} when absent or empty (Kombu's {@code opt(...) or default}). */
    public String string(String key, String dflt) {
        String v = string(key);
        return v == null ? dflt : v;
    }

    /** A boolean option, or {@code dflt} when unset. */
    public boolean bool(String key, boolean dflt) {
        Boolean b = bool(key);
        return b == null ? dflt : b;
    }

    /** A boolean option, or null when unset (absent, blank or {@code none}). */
    public @Nullable Boolean bool(String key) {
        String v = trimmed(key);
        if (v == null || v.equalsIgnoreCase("none")) {
            return null;
        }
        String lower = v.toLowerCase(Locale.ROOT);
        if (TRUE_WORDS.contains(lower)) {
            return true;
        }
        if (FALSE_WORDS.contains(lower)) {
            return false;
        }
        throw invalid(key, "true or false (or 1/0, yes/no, on/off)");
    }

    /**
     * A duration given in seconds, decimals allowed, from zero to {@code max}; {@code dflt} when unset
     * (absent, blank or {@code none}).
     */
    public Duration seconds(String key, Duration dflt, Duration max) {
        String v = trimmed(key);
        if (v == null || v.equalsIgnoreCase("none")) {
            return dflt;
        }
        String mustBe = "a number of seconds from 0 to " + max.toSeconds();
        BigDecimal nanos;
        try {
            nanos = new BigDecimal(v).movePointRight(9);
        } catch (NumberFormatException e) {
            throw invalid(key, mustBe, e);
        }
        if (nanos.signum() < 0 || nanos.compareTo(BigDecimal.valueOf(max.toNanos())) > 0) {
            throw invalid(key, mustBe);
        }
        return Duration.ofNanos(nanos.setScale(0, java.math.RoundingMode.HALF_UP).longValueExact());
    }

    /** A whole number from {@code min} to {@code max}, or {@code dflt} when unset (absent or blank). */
    public int integer(String key, int dflt, int min, int max) {
        String v = trimmed(key);
        if (v == null) {
            return dflt;
        }
        String mustBe = "a whole number from " + min + " to " + max;
        int n;
        try {
            n = Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw invalid(key, mustBe, e);
        }
        if (n < min || n > max) {
            throw invalid(key, mustBe);
        }
        return n;
    }

    /**
     * One of a fixed set of words, compared ignoring case, or {@code dflt} when unset (absent or blank).
     *
     * @param choices each accepted spelling and what it means, in the order the message lists them
     */
    public <T> T choice(String key, T dflt, Map<String, T> choices) {
        String v = trimmed(key);
        if (v == null) {
            return dflt;
        }
        for (Map.Entry<String, T> e : choices.entrySet()) {
            if (e.getKey().equalsIgnoreCase(v)) {
                return e.getValue();
            }
        }
        throw invalid(key, "one of " + String.join(", ", choices.keySet()));
    }

    /**
     * The error for an option whose value is not what it must be, in the one form every option uses:
     * {@code option NAME='VALUE' in URL must be MUST_BE}, the password (and a secret value) masked.
     */
    public ConfigurationException invalid(String key, String mustBe) {
        return invalid(key, mustBe, null);
    }

    /** {@link #invalid(String, String)} with a cause. */
    public ConfigurationException invalid(String key, String mustBe, @Nullable Throwable cause) {
        return new ConfigurationException("option " + key + "='" + url.shownOption(key) + "' in " + url.masked()
                + " must be " + mustBe, cause);
    }

    private @Nullable String trimmed(String key) {
        String v = url.option(key);
        return v == null || v.isBlank() ? null : v.trim();
    }
}
