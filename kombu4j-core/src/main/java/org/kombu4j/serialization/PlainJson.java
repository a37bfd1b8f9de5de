package org.kombu4j.serialization;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * A fast path for the JSON every message carries: plain trees of {@code java.util} maps with String keys,
 * collections, Strings, integers, doubles, booleans and null. It writes exactly the bytes
 * {@link JsonSerializer}'s Jackson mapper writes for such a tree, and reads exactly what its parser reads, but
 * without Jackson's per-call generator/parser setup, buffer recycling and char-by-char string handling (JFR
 * showed those as most of the memory transport's publish and consume time). Written by hand for that reason
 * alone: with it, one producer and one consumer on {@code memory://} with 1 KiB bodies move about twice as many
 * messages per second as with the Jackson path (BENCHMARKS.md); Jackson stays the reference and the general
 * path, and a randomized differential test holds the two to the same bytes and values.
 *
 * <p>Whatever it is not sure about it does not handle: {@link PlainJsonWriter#encode} returns null and
 * {@link PlainJsonReader#decode} returns {@link #NOT_HANDLED}, and the caller uses Jackson, which then yields the
 * same value or the same error it always did. So anything unusual (other types, type tags to write, non-ASCII
 * text to read, escapes other than the common ones, NaN literals, huge numbers, any syntax error) costs one
 * wasted partial pass, never a different result.
 *
 * <p>{@link PlainJsonWriter} and {@link PlainJsonReader} do the two directions ({@link JsonSerializer} calls
 * them); what they share (the bail-out, the limits, the word-at-a-time view of a byte array, the literals) is
 * here.
 */
final class PlainJson {
    /** Returned by {@link PlainJsonReader#decode} for input it leaves to Jackson. */
    static final Object NOT_HANDLED = new Object();

    static final int MAX_DEPTH = 100;
    static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    static final long ONES = 0x0101010101010101L;
    static final long HIGHS = 0x8080808080808080L;
    static final byte[] NULL = {'n', 'u', 'l', 'l'};
    static final byte[] TRUE = {'t', 'r', 'u', 'e'};
    static final byte[] FALSE = {'f', 'a', 'l', 's', 'e'};

    /** Thrown (preallocated, no stack) to abandon the fast path. */
    static final class Bail extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Bail() {
            super(null, null, false, false);
        }
    }

    static final Bail BAIL = new Bail();

    private PlainJson() {
    }
}
