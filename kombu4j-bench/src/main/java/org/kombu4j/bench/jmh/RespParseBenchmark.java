package org.kombu4j.bench.jmh;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.kombu4j.redis.internal.RespParser;
import org.kombu4j.redis.internal.RespWriter;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Setup;

/**
 * The Redis transport's RESP codec ({@code org.kombu4j.redis.internal}) on what it handles when
 * busy: the pop script's reply — a flat array of (key index, envelope, delivery tag) triples —
 * holding 1 or 100 Kombu envelopes of a 1 KiB JSON body (~1.66 KB each, base64 body), fed whole or
 * in 1,460-byte segments as TCP delivers them; and encoding one publish command (EVALSHA with the
 * envelope). Scores are per reply or per command.
 */
public class RespParseBenchmark extends JmhDefaults {
    private static final int SEGMENT = 1460;

    private byte[] envelope = new byte[0];
    private byte[] oneMessageReply = new byte[0];
    private byte[] hundredMessagesReply = new byte[0];
    private List<Object> publishCommand = List.of();

    @Setup
    public void setUp() {
        String body = "{\"seq\": 12345, \"ts\": 1764081543.123456, \"pad\": \"" + "x".repeat(1024 - 52) + "\"}";
        String env = "{\"body\": \"" + Base64.getEncoder().encodeToString(body.getBytes(StandardCharsets.UTF_8))
                + "\", \"content-encoding\": \"utf-8\", \"content-type\": \"application/json\", \"headers\": {},"
                + " \"properties\": {\"delivery_mode\": 2, \"delivery_info\": {\"exchange\": \"bench.ex\","
                + " \"routing_key\": \"bench.q\"}, \"priority\": 0, \"body_encoding\": \"base64\","
                + " \"delivery_tag\": \"2259d1a4-77a6-431a-818f-37863341f22d\"}}";
        envelope = env.getBytes(StandardCharsets.UTF_8);
        oneMessageReply = popReply(1);
        hundredMessagesReply = popReply(100);
        publishCommand = List.of("EVALSHA", "e5a212447e6ae33c5b92e0c862054e8ac229b69b", "2",
                "_kombu.binding.bench.ex", "_kombu4j.exchange.types", "", "bench.ex", "bench.q", "\u0006\u0016", "",
                envelope, "/0.bench.ex", "1");
    }

    private byte[] popReply(int messages) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        write(out, "*" + messages * 3 + "\r\n");
        for (int i = 0; i < messages; i++) {
            write(out, ":1\r\n");
            write(out, "$" + envelope.length + "\r\n");
            out.write(envelope, 0, envelope.length);
            write(out, "\r\n$36\r\n2259d1a4-77a6-431a-818f-37863341f22d\r\n");
        }
        return out.toByteArray();
    }

    private static void write(ByteArrayOutputStream out, String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        out.write(b, 0, b.length);
    }

    private static Object parseWhole(byte[] reply) {
        RespParser p = new RespParser();
        p.feed(reply, 0, reply.length);
        return p.next();
    }

    private static Object parseSegmented(byte[] reply) {
        RespParser p = new RespParser();
        Object r = RespParser.NEED_MORE;
        for (int off = 0; off < reply.length; off += SEGMENT) {
            p.feed(reply, off, Math.min(SEGMENT, reply.length - off));
            r = p.next();
        }
        return r;
    }

    @Benchmark
    public Object popReply1Whole() {
        return parseWhole(oneMessageReply);
    }

    @Benchmark
    public Object popReply1Segmented() {
        return parseSegmented(oneMessageReply);
    }

    @Benchmark
    public Object popReply100Whole() {
        return parseWhole(hundredMessagesReply);
    }

    @Benchmark
    public Object popReply100Segmented() {
        return parseSegmented(hundredMessagesReply);
    }

    @Benchmark
    public byte[] encodePublishCommand() {
        return RespWriter.command(publishCommand);
    }

    /** For a quick check outside JMH: the replies parse to the expected shapes. */
    public static void main(String[] args) {
        RespParseBenchmark b = new RespParseBenchmark();
        b.setUp();
        List<?> whole = (List<?>) b.popReply100Whole();
        List<?> seg = (List<?>) b.popReply100Segmented();
        List<Integer> sizes = new ArrayList<>(List.of(whole.size(), seg.size(), b.oneMessageReply.length));
        System.out.println("pop reply items (whole, segmented), bytes of a 1-message reply: " + sizes);
    }
}
