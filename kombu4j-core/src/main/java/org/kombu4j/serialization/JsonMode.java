package org.kombu4j.serialization;

import java.util.Locale;
import org.kombu4j.ConfigurationException;

/**
 * How the {@code json} serializer writes the types plain JSON has no form for (dates and times, {@link java.math.BigDecimal},
 * {@link java.util.UUID}, {@code byte[]}): as Kombu 5.3+ does, or as Kombu 5.2 did. Set it per connection with
 * {@code Connection.Builder.jsonMode} or the URL option {@code json_mode=kombu52}.
 *
 * <p>Decoding is the same in both modes: type tags are read back into Java types whichever peer wrote them, and a typed
 * consumer asking for a date, time, UUID or BigDecimal field takes either a tag or a plain string.
 */
public enum JsonMode {
    /**
     * Kombu 5.3+ type tags, {@code {"__type__": "datetime", "__value__": "2024-01-02T03:04:05+00:00"}} (the default).
     * A Kombu 5.3+ peer gets Python {@code datetime}, {@code Decimal}, {@code UUID} and {@code bytes}; a Kombu 5.2 peer
     * gets the tag dicts as they are.
     */
    KOMBU53("kombu53"),
    /**
     * Kombu 5.2's plain forms, as its {@code JSONEncoder} writes them: a date-time as {@code isoformat()} with
     * {@code +00:00} written {@code Z}, a date as that day's midnight date-time, a time as {@code isoformat()}, a
     * decimal and a UUID as {@code str()}. Every Kombu peer gets strings. Kombu 5.2 could not send {@code bytes} in JSON
     * at all, so neither can this mode: a {@code byte[]} inside a JSON body is an {@link org.kombu4j.EncodeException}.
     */
    KOMBU52("kombu52");

    /** The URL option that chooses the mode, e.g. {@code redis://localhost/0?json_mode=kombu52}. */
    public static final String URL_OPTION = "json_mode";

    private final String optionValue;

    JsonMode(String optionValue) {
        this.optionValue = optionValue;
    }

    /** The mode's value for {@link #URL_OPTION}: {@code kombu53} or {@code kombu52}. */
    public String optionValue() {
        return optionValue;
    }

    /**
     * The mode named {@code value}: {@code kombu53} (or {@code tags}) or {@code kombu52} (or {@code plain}), in any case.
     *
     * @throws ConfigurationException for anything else, naming the accepted values
     */
    public static JsonMode parse(String value) {
        switch (value.strip().toLowerCase(Locale.ROOT)) {
            case "kombu53", "tags":
                return KOMBU53;
            case "kombu52", "plain":
                return KOMBU52;
            default:
                throw new ConfigurationException("unknown " + URL_OPTION + " '" + value
                        + "': expected kombu53 (Kombu 5.3+ type tags, the default) or kombu52 (Kombu 5.2's plain strings)");
        }
    }
}
