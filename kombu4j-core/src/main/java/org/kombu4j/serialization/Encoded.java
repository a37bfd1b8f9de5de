package org.kombu4j.serialization;

/** A serialized body with the content type and encoding that describe it. */
public record Encoded(byte[] body, String contentType, String contentEncoding) {
}
