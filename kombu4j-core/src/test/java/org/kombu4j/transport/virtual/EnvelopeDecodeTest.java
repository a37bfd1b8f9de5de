package org.kombu4j.transport.virtual;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/** The body-first fast path of {@link Envelope#decode} reads what the general layouts read. */
class EnvelopeDecodeTest {
    private static final String PROPS = "\"properties\": {\"delivery_info\": {\"exchange\": \"ex\", \"routing_key\": \"rk\"},"
            + " \"body_encoding\": \"base64\", \"delivery_tag\": \"t-1\", \"priority\": 3}";

    private static byte[] body(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 31 + 7); // every byte value, so the base64 holds '+' and '/'
        }
        return b;
    }

    private static void assertDecodes(String json, byte[] expected) {
        Envelope.Decoded d = Envelope.decode(json.getBytes(StandardCharsets.UTF_8));
        assertThat(d.message().body()).isEqualTo(expected);
        assertThat(d.exchange()).isEqualTo("ex");
        assertThat(d.routingKey()).isEqualTo("rk");
        assertThat(d.tag()).isEqualTo("t-1");
        assertThat(d.message().contentType()).isEqualTo("application/json");
        assertThat(d.message().headers()).containsEntry("h", 1);
        assertThat(d.message().properties()).containsEntry("priority", 3).doesNotContainKey("body_encoding");
    }

    @Test
    void bodyFirstInEveryLengthAndSpacingDecodesTheSame() {
        for (int n = 0; n < 40; n++) {
            byte[] b = body(n);
            String b64 = Base64.getEncoder().encodeToString(b);
            assertDecodes("{\"body\": \"" + b64 + "\", \"content-type\": \"application/json\", \"headers\": {\"h\": 1}, "
                    + PROPS + "}", b);
            assertDecodes(" { \"body\" :\"" + b64 + "\" ,\"content-type\":\"application/json\",\"headers\":{\"h\":1},"
                    + PROPS + "}", b);
        }
    }

    @Test
    void bodyLastEscapedOrWrappedFallsBackAndDecodesTheSame() {
        byte[] b = body(300);
        String b64 = Base64.getEncoder().encodeToString(b);
        assertDecodes("{\"content-type\": \"application/json\", \"headers\": {\"h\": 1}, " + PROPS + ", \"body\": \"" + b64 + "\"}", b);
        assertDecodes("{\"body\": \"" + b64.replace("/", "\\/") + "\", \"content-type\": \"application/json\", "
                + "\"headers\": {\"h\": 1}, " + PROPS + "}", b);
        String wrapped = b64.substring(0, 76) + "\\n" + b64.substring(76);
        assertDecodes("{\"body\": \"" + wrapped + "\", \"content-type\": \"application/json\", \"headers\": {\"h\": 1}, "
                + PROPS + "}", b);
    }

    @Test
    void aSecondBodyFieldIsNotTakenSilentlyFromTheFastPath() {
        byte[] b = body(10);
        String b64 = Base64.getEncoder().encodeToString(b);
        String other = Base64.getEncoder().encodeToString(body(12));
        // Jackson's general reader keeps the last duplicate; the fast path must agree, not keep the first.
        Envelope.Decoded d = Envelope.decode(("{\"body\": \"" + b64 + "\", \"body\": \"" + other + "\", \"content-type\": "
                + "\"application/json\", \"headers\": {\"h\": 1}, " + PROPS + "}").getBytes(StandardCharsets.UTF_8));
        assertThat(d.message().body()).isEqualTo(body(12));
    }
}
