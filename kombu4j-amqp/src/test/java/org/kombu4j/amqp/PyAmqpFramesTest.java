package org.kombu4j.amqp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The content-header rewrite of {@link PyAmqpFrames}, on payloads laid out as py-amqp writes them. */
class PyAmqpFramesTest {
    @Test
    void rewritesLongTagsInTablesAndArraysOnly() throws IOException {
        byte[] table = table(out -> {
            entry(out, "a", 'L');
            out.writeLong(1L << 40);
            entry(out, "s", 'S');
            byte[] text = "L L".getBytes(StandardCharsets.UTF_8);
            out.writeInt(text.length);
            out.write(text);
            entry(out, "f", 'F');
            byte[] inner = table(in -> {
                entry(in, "b", 'A');
                ByteArrayOutputStream arr = new ByteArrayOutputStream();
                DataOutputStream a = new DataOutputStream(arr);
                a.writeByte('I');
                a.writeInt(7);
                a.writeByte('L');
                a.writeLong(-5);
                a.writeByte('V');
                in.writeInt(arr.size());
                in.write(arr.toByteArray());
            });
            out.write(inner);
        });
        byte[] payload = header("application/json", table);
        byte[] fixed = PyAmqpFrames.fixHeaderPayload(payload);
        assertThat(fixed).isNotSameAs(payload).hasSameSizeAs(payload);
        int diffs = 0;
        for (int i = 0; i < payload.length; i++) {
            if (payload[i] != fixed[i]) {
                diffs++;
                assertThat(payload[i]).isEqualTo((byte) 'L');
                assertThat(fixed[i]).isEqualTo((byte) 'l');
            }
        }
        // The two tags; the "L L" text is data, not a tag.
        assertThat(diffs).isEqualTo(2);
    }

    @Test
    void leavesOtherPayloadsAlone() throws IOException {
        byte[] plain = header("text/plain", table(out -> {
            entry(out, "n", 'I');
            out.writeInt(1);
        }));
        assertThat(PyAmqpFrames.fixHeaderPayload(plain)).isSameAs(plain);
        byte[] unknown = header("text/plain", table(out -> {
            entry(out, "q", '?');
            entry(out, "a", 'L');
            out.writeLong(1);
        }));
        assertThat(PyAmqpFrames.fixHeaderPayload(unknown)).isSameAs(unknown);
        assertThat(PyAmqpFrames.fixHeaderPayload(new byte[3])).hasSize(3);
    }

    interface Writer {
        void write(DataOutputStream out) throws IOException;
    }

    private static byte[] table(Writer w) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        w.write(new DataOutputStream(body));
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(all);
        out.writeInt(body.size());
        out.write(body.toByteArray());
        return all.toByteArray();
    }

    private static void entry(DataOutputStream out, String key, char tag) throws IOException {
        out.writeByte(key.length());
        out.writeBytes(key);
        out.writeByte(tag);
    }

    /** class 60, weight 0, body size 10, flags: content type + headers + delivery mode. */
    private static byte[] header(String contentType, byte[] table) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(all);
        out.writeShort(60);
        out.writeShort(0);
        out.writeLong(10);
        out.writeShort(0x8000 | 0x2000 | 0x1000);
        out.writeByte(contentType.length());
        out.writeBytes(contentType);
        out.write(table);
        out.writeByte(2);
        return all.toByteArray();
    }
}
