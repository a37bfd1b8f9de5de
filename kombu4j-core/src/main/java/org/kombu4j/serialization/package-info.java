/**
 * Message body serialization, wire-compatible with Kombu (WIRE.md §8). {@link org.kombu4j.serialization.Serializers}
 * is the entry point: an instance registry of {@link org.kombu4j.serialization.Serializer}s (json, text, raw, and
 * msgpack and yaml when their libraries are on the classpath) that applies Kombu's encode rules and its decode rules,
 * including accept lists, and turns decoded bodies into the classes typed consumers ask for
 * ({@link org.kombu4j.serialization.Serializers#convert}) with the application's Jackson mapper if it gave one.
 * {@link org.kombu4j.serialization.JsonMode} chooses Kombu 5.3+'s JSON type tags or Kombu 5.2's plain strings. Pickle
 * and Java serialization are never supported. Everything here is thread-safe.
 */
@org.jspecify.annotations.NullMarked
package org.kombu4j.serialization;
