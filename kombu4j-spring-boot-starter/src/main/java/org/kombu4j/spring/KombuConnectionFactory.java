package org.kombu4j.spring;

import org.kombu4j.Connection;

/**
 * Opens the connections of the starter: the shared {@link Connection} bean and one per {@link KombuListener}
 * container (consumers get connections of their own, as Kombu advises, so a publish failing on a lost connection
 * never drops them). The default opens {@link KombuProperties#resolvedUrl()}; define a bean of this type to open
 * them otherwise (own serializers, compressors, connect policy).
 */
@FunctionalInterface
public interface KombuConnectionFactory {
    /** A new, lazily connecting connection; the caller closes it. */
    Connection open();
}
