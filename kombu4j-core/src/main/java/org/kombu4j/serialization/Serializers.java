package org.kombu4j.serialization;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.lang.reflect.Type;
import java.nio.charset.Charset;
import java.nio.charset.IllegalCharsetNameException;
import java.nio.charset.StandardCharsets;
import java.nio.charset.UnsupportedCharsetException;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;
import org.kombu4j.ConfigurationException;
import org.kombu4j.ContentDisallowedException;
import org.kombu4j.DecodeException;
import org.kombu4j.EncodeException;
import org.kombu4j.KombuException;
import org.kombu4j.internal.OptionalLibraries;

/**
 * A registry of {@link Serializer}s by name and content type, applying Kombu's {@code dumps}/{@code loads} rules
 * ({@code kombu/serialization.py}, WIRE.md §8). Each instance is independent; share one per application.
 *
 * <p>Thread-safe: lookups read an immutable snapshot, and {@link #register} swaps in a new one.
 *
 * <p>Pickle ({@code application/x-python-serialize}) and Java serialization
 * ({@code application/x-java-serialized-object}) are never supported: they run code chosen by whoever wrote the
 * message. They cannot be registered, selected, accepted or decoded.
 */
public final class Serializers {
    /** Always decoded as raw bytes or text, whatever the accept list says (Kombu's TRUSTED_CONTENT). */
    public static final Set<String> TRUSTED_CONTENT_TYPES = Set.of("application/data", "application/text");

    private static final String PICKLE_CONTENT_TYPE = "application/x-python-serialize";
    private static final String JAVA_CONTENT_TYPE = "application/x-java-serialized-object";
    private static final Map<String, String> REFUSED_NAMES =
            Map.of("pickle", PICKLE_CONTENT_TYPE, "java", JAVA_CONTENT_TYPE);
    private static final Set<String> BINARY_ENCODINGS = Set.of("binary", "ascii-8bit");

    /** A serializer Kombu has whose library is not on the classpath here. */
    private record Missing(String name, String contentType, String artifact) {
    }

    private record State(Map<String, Serializer> byName, Map<String, Serializer> byContentType) {
    }

    private final Map<String, Missing> missing;
    private final JsonMode jsonMode;
    private final @Nullable ObjectMapper applicationMapper;
    /**
     * Turns decoded bodies into the classes typed consumers ask for; Java values in the tree pass through as they are.
     * Made on first use: most registries never convert.
     */
    private volatile @Nullable ObjectMapper converter;
    private volatile State state = new State(Map.of(), Map.of());

    private Serializers(Map<String, Missing> missing, @Nullable ObjectMapper mapper, JsonMode jsonMode) {
        this.missing = missing;
        this.jsonMode = jsonMode;
        this.applicationMapper = mapper == null ? null : mapper.copy();
    }

    private ObjectMapper converter() {
        ObjectMapper c = converter;
        if (c == null) {
            synchronized (this) {
                c = converter;
                if (c == null) {
                    c = applicationMapper == null ? JsonMapper.builder().build() : applicationMapper.copy();
                    c.registerModule(TypedValues.reading()).registerModule(TypedValues.embedding());
                    converter = c;
                }
            }
        }
        return c;
    }

    /**
     * A new registry with json (the default), text and raw, plus msgpack and yaml when
     * jackson-dataformat-msgpack and jackson-dataformat-yaml are on the classpath.
     */
    public static Serializers defaults() {
        return defaults(null, JsonMode.KOMBU53);
    }

    /**
     * {@link #defaults()}, with json writing through a copy of the application's {@code mapper} (kombu4j's own when
     * null; see {@link JsonSerializer#JsonSerializer(ObjectMapper, JsonMode)}) in {@code jsonMode}. The same mapper
     * turns decoded bodies into classes ({@link #convert}), for every content type. msgpack and yaml keep their own
     * mappers.
     *
     * @throws ConfigurationException if {@code mapper} is not a JSON mapper
     */
    public static Serializers defaults(@Nullable ObjectMapper mapper, JsonMode jsonMode) {
        Map<String, Missing> missing = new HashMap<>();
        boolean msgpack = OptionalLibraries.isPresent(MsgpackSerializer.LIBRARY_CLASS);
        boolean yaml = OptionalLibraries.isPresent(YamlSerializer.LIBRARY_CLASS);
        if (!msgpack) {
            missing.put(MsgpackSerializer.NAME, new Missing(MsgpackSerializer.NAME, MsgpackSerializer.CONTENT_TYPE,
                    MsgpackSerializer.ARTIFACT));
        }
        if (!yaml) {
            missing.put(YamlSerializer.NAME, new Missing(YamlSerializer.NAME, YamlSerializer.CONTENT_TYPE,
                    YamlSerializer.ARTIFACT));
        }
        Serializers s = new Serializers(Map.copyOf(missing), mapper, jsonMode);
        s.register(new JsonSerializer(mapper, jsonMode));
        s.register(new TextSerializer());
        s.register(new RawSerializer());
        // Optional libraries: the serializer class is touched only once its library is known to be there.
        if (msgpack) {
            s.register(new MsgpackSerializer());
        }
        if (yaml) {
            s.register(new YamlSerializer());
        }
        return s;
    }

    /** How this registry's json serializer writes dates, times, decimals, UUIDs and bytes. */
    public JsonMode jsonMode() {
        return jsonMode;
    }

    /** The Jackson type of {@code type}, for {@link #convert}. */
    public JavaType javaType(Type type) {
        return converter().getTypeFactory().constructType(type);
    }

    /**
     * A decoded body (maps, lists, scalars, and the Java values of type tags, as {@link #decode} returns them) as an
     * instance of {@code type}, through the registry's ObjectMapper. Dates, times, UUIDs and decimals are read from
     * tags, plain strings or Java values alike. A body that already is a {@code type} is returned as it is.
     *
     * @throws DecodeException if the body does not fit {@code type}, naming the type and what did not fit
     */
    public @Nullable Object convert(@Nullable Object decoded, JavaType type) {
        if (decoded != null && !type.hasGenericTypes() && type.getRawClass().isInstance(decoded)) {
            return decoded;
        }
        try {
            return converter().convertValue(decoded, type);
        } catch (IllegalArgumentException e) {
            Throwable cause = e.getCause();
            String why = cause instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
            throw new DecodeException("cannot decode the body as " + type.toCanonical() + ": " + why, e);
        }
    }

    /**
     * Adds {@code serializer}, replacing any with the same name (and taking over its content type).
     *
     * @throws ConfigurationException for pickle or Java serialization, by name or content type
     */
    public synchronized void register(Serializer serializer) {
        String name = serializer.name();
        String contentType = normalizeContentType(serializer.contentType());
        if (REFUSED_NAMES.containsKey(name.toLowerCase(Locale.ROOT)) || isRefusedContentType(contentType)) {
            throw new ConfigurationException("serializer '" + name + "' (" + contentType
                    + ") is refused: pickle and Java serialization run code chosen by the sender and are never"
                    + " supported");
        }
        Map<String, Serializer> byName = new HashMap<>(state.byName);
        Map<String, Serializer> byContentType = new HashMap<>(state.byContentType);
        Serializer old = byName.put(name, serializer);
        if (old != null) {
            byContentType.remove(normalizeContentType(old.contentType()), old);
        }
        byContentType.put(contentType, serializer);
        state = new State(Map.copyOf(byName), Map.copyOf(byContentType));
    }

    /**
     * The serializer registered under {@code name}.
     *
     * @throws EncodeException if none is, naming the known ones, the library to add, or why pickle/java are refused
     */
    public Serializer byName(String name) {
        Serializer s = state.byName.get(name);
        if (s != null) {
            return s;
        }
        String lower = name.toLowerCase(Locale.ROOT);
        if (REFUSED_NAMES.containsKey(lower)) {
            throw new EncodeException("serializer '" + name + "' is refused for security: it runs code chosen by"
                    + " the sender and is never supported; use json, msgpack or yaml", null);
        }
        Missing m = missing.get(lower);
        if (m != null) {
            throw new EncodeException("serializer '" + name + "' needs " + m.artifact + " on the classpath", null);
        }
        throw new EncodeException("unknown serializer '" + name + "': known are " + String.join(", ", names()),
                null);
    }

    /** The serializer for {@code contentType} (matched without parameters such as {@code ; charset=}). */
    public Optional<Serializer> byContentType(String contentType) {
        return Optional.ofNullable(state.byContentType.get(normalizeContentType(contentType)));
    }

    /** The registered serializer names, sorted; an unmodifiable snapshot. */
    public Set<String> names() {
        return Collections.unmodifiableSet(new TreeSet<>(state.byName.keySet()));
    }

    /**
     * Serializes {@code body} as Kombu's {@code dumps} does. With {@code serializerName} null: a {@code byte[]}
     * is sent as {@code application/data}/{@code binary}, a String as {@code text/plain}/{@code utf-8}, and
     * anything else as json. With {@code raw}: {@code byte[]} gives {@code application/data}/{@code binary}, a
     * String {@code application/data}/{@code utf-8}. Otherwise the named serializer is used.
     *
     * @throws EncodeException for an unknown or refused serializer, or a body it cannot encode
     */
    public Encoded encode(@Nullable Object body, @Nullable String serializerName) {
        if (RawSerializer.NAME.equals(serializerName)) {
            Serializer raw = byName(RawSerializer.NAME);
            String encoding = body instanceof CharSequence ? "utf-8" : raw.contentEncoding();
            return new Encoded(run(raw, body), raw.contentType(), encoding);
        }
        if (serializerName == null) {
            if (body instanceof byte[] bytes) {
                return new Encoded(bytes, RawSerializer.CONTENT_TYPE, "binary");
            }
            if (body instanceof String s) {
                return new Encoded(s.getBytes(StandardCharsets.UTF_8), TextSerializer.CONTENT_TYPE, "utf-8");
            }
        }
        Serializer s = byName(serializerName == null ? JsonSerializer.NAME : serializerName);
        return new Encoded(run(s, body), s.contentType(), s.contentEncoding());
    }

    private static byte[] run(Serializer s, @Nullable Object body) {
        try {
            return s.encode(body);
        } catch (KombuException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new EncodeException("serializer '" + s.name() + "' cannot encode " + JsonSerializer.typeName(body)
                    + ": " + e, e);
        }
    }

    /**
     * Deserializes a body as Kombu's {@code loads} does.
     *
     * <ul>
     *   <li>A null or empty {@code contentType} means {@code application/data}. Content types are compared in
     *       lower case without parameters ({@code ; charset=...}).
     *   <li>Pickle and Java serialization are always refused with {@link ContentDisallowedException}.
     *   <li>{@code application/data} and {@code application/text} are always accepted and returned raw: a
     *       {@code byte[]} when {@code contentEncoding} is {@code binary}, {@code ascii-8bit} or null, otherwise
     *       a String decoded strictly with that charset. (Kombu treats a null encoding as utf-8; returning the
     *       bytes loses nothing and never fails on non-UTF-8 data.)
     *   <li>Any other content type must be in {@code accept} (content types, as from {@link #acceptContentTypes});
     *       null accepts every content type.
     *   <li>An empty body is returned raw without calling the decoder, as Kombu does.
     *   <li>An accepted content type with no serializer is also returned raw, as Kombu does: a String for a text
     *       encoding, else {@code byte[]}.
     * </ul>
     *
     * @throws ContentDisallowedException if the content type is refused or not accepted
     * @throws DecodeException if the decoder fails, the charset is unknown, or the serializer's library is missing
     */
    public @Nullable Object decode(byte[] body, @Nullable String contentType, @Nullable String contentEncoding,
            @Nullable Set<String> accept) {
        String ct = contentType == null || contentType.isBlank()
                ? RawSerializer.CONTENT_TYPE : normalizeCached(contentType);
        if (isRefusedContentType(ct)) {
            throw new ContentDisallowedException("refusing to deserialize content type '" + ct
                    + "': pickle and Java serialization run code chosen by the sender and are never decoded");
        }
        if (TRUSTED_CONTENT_TYPES.contains(ct)) {
            return raw(body, contentEncoding, ct);
        }
        if (accept != null && !acceptContains(accept, ct)) {
            throw new ContentDisallowedException("refusing to deserialize content type '" + ct
                    + "': not in the accept list " + new TreeSet<>(accept));
        }
        if (body.length == 0) {
            return raw(body, contentEncoding, ct);
        }
        Serializer s = state.byContentType.get(ct);
        if (s == null) {
            for (Missing m : missing.values()) {
                if (m.contentType.equals(ct)) {
                    throw new DecodeException("cannot decode content type '" + ct + "': add " + m.artifact
                            + " to the classpath", null);
                }
            }
            return raw(body, contentEncoding, ct);
        }
        try {
            if (s instanceof TextSerializer) {
                return TextSerializer.decode(body, textCharset(contentEncoding, ct), ct);
            }
            return s.decode(body);
        } catch (KombuException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new DecodeException("cannot decode content type '" + ct + "': " + e, e);
        }
    }

    private static boolean acceptContains(Set<String> accept, String ct) {
        if (accept.contains(ct)) {
            return true;
        }
        for (String a : accept) {
            if (normalizeContentType(a).equals(ct)) {
                return true;
            }
        }
        return false;
    }

    private static Object raw(byte[] body, @Nullable String contentEncoding, String ct) {
        if (contentEncoding == null || BINARY_ENCODINGS.contains(contentEncoding.strip().toLowerCase(Locale.ROOT))) {
            return body;
        }
        return TextSerializer.decode(body, charset(contentEncoding, ct), ct);
    }

    private static Charset textCharset(@Nullable String contentEncoding, String ct) {
        if (contentEncoding == null || BINARY_ENCODINGS.contains(contentEncoding.strip().toLowerCase(Locale.ROOT))) {
            return StandardCharsets.UTF_8;
        }
        return charset(contentEncoding, ct);
    }

    /**
     * The charset of a content encoding. Kombu passes the name to Python's codecs, which treat {@code -}
     * and {@code _} alike, so Python names Java lacks ({@code latin-1}, {@code utf_8}) are tried in
     * Java's spelling too.
     */
    private static Charset charset(String contentEncoding, String ct) {
        String name = contentEncoding.strip();
        for (String n : new String[] {name, name.replace('_', '-'), name.replace("-", "").replace("_", "")}) {
            try {
                return Charset.forName(n);
            } catch (IllegalCharsetNameException | UnsupportedCharsetException e) {
                // Try the next spelling.
            }
        }
        throw new DecodeException("cannot decode content type '" + ct + "': unknown content encoding '" + contentEncoding + "'",
                null);
    }

    /**
     * Turns an accept list of serializer names ({@code json}, {@code text}, {@code raw}, {@code msgpack},
     * {@code yaml} or any registered name) and content types (anything containing {@code /}) into the content
     * types {@link #decode} expects, in the given order.
     *
     * @throws ConfigurationException for an unknown name, or for pickle/Java serialization
     */
    public Set<String> acceptContentTypes(Collection<String> namesOrContentTypes) {
        Set<String> out = new LinkedHashSet<>();
        State st = state;
        for (String n : namesOrContentTypes) {
            String ct;
            if (n.contains("/")) {
                ct = normalizeContentType(n);
            } else if (st.byName.containsKey(n)) {
                ct = normalizeContentType(st.byName.get(n).contentType());
            } else if (missing.containsKey(n)) {
                ct = missing.get(n).contentType;
            } else if (REFUSED_NAMES.containsKey(n.toLowerCase(Locale.ROOT))) {
                ct = REFUSED_NAMES.get(n.toLowerCase(Locale.ROOT));
            } else {
                throw new ConfigurationException("unknown serializer '" + n + "' in accept list: known are "
                        + String.join(", ", names()) + ", or a content type such as application/json");
            }
            if (isRefusedContentType(ct)) {
                throw new ConfigurationException("cannot accept '" + n + "': pickle and Java serialization run code"
                        + " chosen by the sender and are never decoded");
            }
            out.add(ct);
        }
        return Collections.unmodifiableSet(out);
    }

    private static boolean isRefusedContentType(String normalized) {
        return normalized.equals(PICKLE_CONTENT_TYPE) || normalized.equals(JAVA_CONTENT_TYPE);
    }

    /** The last content type normalized and its result: every message of a stream usually has the same one. */
    private volatile String[] lastContentType = {"", ""};

    private String normalizeCached(String contentType) {
        String[] last = lastContentType;
        if (last[0].equals(contentType)) {
            return last[1];
        }
        String normalized = normalizeContentType(contentType);
        lastContentType = new String[] {contentType, normalized};
        return normalized;
    }

    private static String normalizeContentType(String contentType) {
        int semi = contentType.indexOf(';');
        String base = semi < 0 ? contentType : contentType.substring(0, semi);
        return base.strip().toLowerCase(Locale.ROOT);
    }
}
