package org.kombu4j.serialization;
// TEMPORARY STUB - replaced by the serial branch.
import com.fasterxml.jackson.databind.ObjectMapper;
public final class Serializers {
    private static final ObjectMapper M = new ObjectMapper();
    public static Serializers defaults() { return new Serializers(); }
    public java.util.Set<String> names() { return java.util.Set.of("json", "text", "raw"); }
    public Serializer byName(String name) { throw new UnsupportedOperationException(); }
    public Encoded encode(Object body, String serializerName) {
        try {
            if (body instanceof byte[] && (serializerName == null || serializerName.equals("raw"))) return new Encoded((byte[]) body, "application/data", "binary");
            if (body instanceof String && serializerName == null) return new Encoded(((String) body).getBytes(java.nio.charset.StandardCharsets.UTF_8), "text/plain", "utf-8");
            if (serializerName != null && !serializerName.equals("json")) throw new org.kombu4j.EncodeException("unknown serializer '" + serializerName + "'", null);
            return new Encoded(M.writeValueAsBytes(body), "application/json", "utf-8");
        } catch (java.io.IOException e) { throw new org.kombu4j.EncodeException("x", e); }
    }
    public Object decode(byte[] body, String contentType, String contentEncoding, java.util.Set<String> accept) {
        if (contentType == null) contentType = "application/data";
        if (accept != null && !accept.contains(contentType) && !contentType.equals("application/data")) throw new org.kombu4j.ContentDisallowedException("refusing content type " + contentType);
        try {
            if (contentType.equals("application/json")) return M.readValue(body, Object.class);
            if (contentType.equals("text/plain")) return new String(body, java.nio.charset.StandardCharsets.UTF_8);
            return body;
        } catch (java.io.IOException e) { throw new org.kombu4j.DecodeException("cannot decode " + contentType, e); }
    }
    public java.util.Set<String> acceptContentTypes(java.util.Collection<String> names) {
        java.util.Set<String> s = new java.util.LinkedHashSet<>();
        for (String n : names) s.add(n.contains("/") ? n : n.equals("json") ? "application/json" : n.equals("text") ? "text/plain" : "application/data");
        return s;
    }
}
