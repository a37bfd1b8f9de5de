package org.kombu4j;

import java.util.Locale;

/** The four AMQP exchange types, which every kombu4j transport routes by. */
public enum ExchangeType {
    /** Routes to queues bound with exactly the message's routing key. */
    DIRECT,
    /** Routes by dotted routing-key patterns: {@code *} is one word, {@code #} zero or more. */
    TOPIC,
    /** Routes to every bound queue, ignoring the routing key. */
    FANOUT,
    /** Routes by matching message headers against binding arguments ({@code x-match} all/any). */
    HEADERS;

    /** Kombu's lower-case name ({@code "direct"}, ...). */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses Kombu's name, case-insensitively.
     *
     * @throws ConfigurationException for an unknown name, listing the known ones
     */
    public static ExchangeType of(String name) {
        for (ExchangeType t : values()) {
            if (t.wireName().equalsIgnoreCase(name.trim())) {
                return t;
            }
        }
        throw new ConfigurationException("unknown exchange type '" + name + "': expected direct, topic, fanout or headers");
    }
}
