package org.kombu4j.cli;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import org.kombu4j.ConfigurationException;
import org.kombu4j.Connection;
import org.kombu4j.EncodeException;
import org.kombu4j.Exchange;
import org.kombu4j.ExchangeType;
import org.kombu4j.KombuException;
import org.kombu4j.Producer;
import org.kombu4j.PublishBatch;
import org.kombu4j.PublishOptions;
import org.kombu4j.Queue;
import org.kombu4j.UnroutableException;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code kombu4j publish}: sends a body (or each line of standard input) to an exchange. */
@Command(name = "publish", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Publish messages to an exchange.",
                "With json, msgpack or yaml the body is a JSON document that is parsed, then serialized "
                        + "(--body '{\"a\":1}' publishes the object); text is sent as it is (text/plain); "
                        + "raw sends the bytes as application/data."})
final class PublishCommand implements Callable<Integer> {
    static final List<String> SERIALIZERS = List.of("json", "text", "raw", "msgpack", "yaml");

    @ParentCommand KombuCommand top;

    @Option(names = "--exchange", required = true, paramLabel = "EX",
            description = "Exchange name; \"\" is the default exchange (routing key = queue name).")
    String exchange = "";

    @Option(names = "--type", paramLabel = "direct|topic|fanout|headers", defaultValue = "direct",
            description = "Exchange type, declared durable and not auto-delete as Kombu does (default: ${DEFAULT-VALUE}).")
    String type = "direct";

    @Option(names = "--routing-key", required = true, paramLabel = "RK", description = "Routing key.")
    String routingKey = "";

    @Option(names = "--serializer", paramLabel = "json|text|raw|msgpack|yaml", defaultValue = "json",
            description = "How the body is serialized (default: ${DEFAULT-VALUE}).")
    String serializer = "json";

    @Option(names = "--compression", paramLabel = "NAME", description = "Compress the body: zlib, gzip, bzip2, lzma, xz, zstd, brotli.")
    @Nullable String compression;

    @Option(names = "--priority", paramLabel = "N", description = "Message priority, 0..255 (its meaning depends on the broker).")
    @Nullable Integer priority;

    @Option(names = "--header", paramLabel = "K=V",
            description = "A header; repeatable. V is a number, true, false or null if it parses as one, else a string.")
    List<String> headers = new ArrayList<>();

    @Option(names = "--declare-queue", paramLabel = "Q",
            description = "Also declare queue Q bound to the exchange with the routing key.")
    @Nullable String declareQueue;

    @Option(names = "--count", paramLabel = "N", defaultValue = "1",
            description = "Publish each body N times (default: ${DEFAULT-VALUE}).")
    int count = 1;

    @Option(names = "--countdown", paramLabel = "SECONDS",
            description = "Deliver no earlier than SECONDS from now (decimals allowed); needs a transport with delayed delivery.")
    @Nullable String countdown;

    @Option(names = "--eta", paramLabel = "ISO-8601",
            description = "Deliver no earlier than this time, e.g. 2030-01-01T12:00:00Z (an offset is required).")
    @Nullable String eta;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source = new Source();

    /** How long to wait, after the last publish, for the confirms still outstanding. */
    static final Duration CONFIRM_WAIT = Duration.ofSeconds(30);

    /** Exactly one body source. */
    static final class Source {
        @Option(names = "--body", paramLabel = "TEXT", description = "The body.")
        @Nullable String body;

        @Option(names = "--file", paramLabel = "F", description = "Read the body from file F (- for standard input).")
        @Nullable Path file;

        @Option(names = "--lines", description = "Publish each line of standard input as one message.")
        boolean lines;
    }

    @Override
    public Integer call() throws IOException {
        String ser = serializer.toLowerCase(Locale.ROOT);
        if (!SERIALIZERS.contains(ser)) {
            throw new UsageException("unknown serializer '" + serializer + "': expected json, text, raw, msgpack or yaml");
        }
        if (count < 1) {
            throw new UsageException("--count must be at least 1, got " + count);
        }
        if (exchange.isEmpty() && routingKey.isEmpty()) {
            // The default exchange routes to the queue named by the key: RabbitMQ would drop the message,
            // Redis would push it to a list named "" that no consumer can name.
            throw new UsageException("--exchange '' (the default exchange) needs --routing-key naming a queue");
        }
        ExchangeType exchangeType = ExchangeType.of(type);
        PublishOptions.Builder base = PublishOptions.builder().routingKey(routingKey);
        for (String h : headers) {
            int eq = h.indexOf('=');
            if (eq <= 0) {
                throw new UsageException("--header expects K=V, got '" + h + "'");
            }
            base.header(h.substring(0, eq), Json.scalar(h.substring(eq + 1)));
        }
        if (priority != null) {
            base.priority(priority);
        }
        delay(base);
        Exchange ex = exchange.isEmpty() ? Exchange.DEFAULT : Exchange.of(exchange, exchangeType);
        if (declareQueue != null) {
            base.declare(exchange.isEmpty() ? Queue.of(declareQueue) : Queue.of(declareQueue, ex, routingKey));
        }
        Body encoder = new Body(ser);

        try (Connection conn = top.open()) {
            checkCodecs(conn, ser);
            if ((countdown != null || eta != null) && !conn.transport().capabilities().delayedDelivery()) {
                throw new CommandFailure("this transport (" + conn.url().scheme() + "://) cannot delay messages"
                        + " (--countdown/--eta)");
            }
            if (compression != null) {
                base.compression(compression);
            }
            if (encoder.explicitContentType != null) {
                base.contentType(encoder.explicitContentType, encoder.explicitEncoding);
            } else {
                base.serializer(ser);
            }
            PublishOptions options = base.build();
            Producer producer = Producer.builder(conn).exchange(ex).build();
            PublishBatch batch = producer.batch();
            try {
                publishAll(batch, encoder, options);
            } catch (RuntimeException e) {
                // Whatever was sent before the failure still gets its confirms counted, then the error names both.
                PublishBatch.Result r = batch.await(CONFIRM_WAIT);
                if (e instanceof UsageException && r.published() > 0) {
                    // --lines streams: the lines before the bad one are sent, and whoever fixes the input must know.
                    throw new UsageException(e.getMessage() + " (" + r.published()
                            + (r.published() == 1 ? " message before it was" : " messages before it were") + " published)");
                }
                if (e instanceof UsageException || e instanceof EncodeException || e instanceof ConfigurationException) {
                    throw e; // bad input (a line that does not parse): exit 2 as before
                }
                String why = Main.oneLine(e.getMessage() == null ? e.toString() : e.getMessage());
                throw r.published() == 0 ? e : new CommandFailure(why + " (" + r.confirmed() + " of " + r.published()
                        + " messages sent before it confirmed)");
            }
            PublishBatch.Result r = batch.await(CONFIRM_WAIT);
            if (!r.allConfirmed()) {
                throw new CommandFailure(notConfirmed(r));
            }
            long published = r.published();
            top.err.println("published " + published + (published == 1 ? " message" : " messages") + " to "
                    + (ex.isDefault() ? "the default exchange" : "exchange '" + ex.name() + "' (" + ex.type().wireName() + ")")
                    + " with routing key '" + routingKey + "'");
        }
        return 0;
    }

    /** Publishes the body --count times, or each line of standard input --count times, into {@code batch}. */
    private void publishAll(PublishBatch batch, Body encoder, PublishOptions options) throws IOException {
        if (source.lines) {
            BufferedInputStream in = new BufferedInputStream(top.in);
            byte[] line;
            int n = 0;
            while ((line = readLine(in)) != null) {
                n++;
                String what = "line " + n + " of standard input";
                Object body;
                if (encoder.parsesJson()) {
                    String text = encoder.text(line, what);
                    if (text.isBlank()) {
                        continue;
                    }
                    body = encoder.fromText(text, what);
                } else {
                    body = encoder.fromBytes(line, what);
                }
                for (int i = 0; i < count; i++) {
                    batch.publish(body, options);
                }
            }
        } else {
            Object body;
            if (source.file != null) {
                byte[] bytes = readFile(source.file);
                body = encoder.fromBytes(bytes, "--file " + source.file);
            } else {
                body = encoder.fromText(source.body == null ? "" : source.body, "--body");
            }
            for (int i = 0; i < count; i++) {
                batch.publish(body, options);
            }
        }
    }

    /** One line: how many of the batch the broker did not take, by why, and the first reason. */
    static String notConfirmed(PublishBatch.Result r) {
        long nacked = 0;
        long returned = 0;
        for (PublishBatch.Failure f : r.failures()) {
            String m = String.valueOf(f.cause().getMessage());
            if (f.cause() instanceof UnroutableException || m.contains("returned unroutable")
                    || m.contains("no queue is bound")) {
                returned++;
            } else if (m.contains("nacked")) {
                nacked++;
            }
        }
        long failed = r.published() - r.confirmed();
        StringBuilder sb = new StringBuilder();
        sb.append(failed).append(" of ").append(r.published()).append(" messages were not confirmed by the broker");
        if (nacked > 0 || returned > 0) {
            sb.append(" (").append(nacked).append(" nacked, ").append(returned).append(" returned unroutable, ")
                    .append(failed - nacked - returned).append(" other)");
        }
        if (!r.failures().isEmpty()) {
            PublishBatch.Failure first = r.failures().get(0);
            sb.append("; first: message ").append(first.index() + 1).append(": ")
                    .append(Main.oneLine(String.valueOf(first.cause().getMessage())));
        }
        return sb.toString();
    }

    /** --countdown / --eta into the options; bad values are usage errors (exit 2). */
    private void delay(PublishOptions.Builder base) {
        if (countdown != null && eta != null) {
            throw new UsageException("--countdown and --eta are mutually exclusive");
        }
        if (countdown != null) {
            base.countdown(parseCountdown("--countdown", countdown));
        }
        if (eta != null) {
            base.eta(parseEta("--eta", eta));
        }
    }

    /** Seconds (a decimal number from 0 to about 100 years) as a Duration; a usage error otherwise. */
    static Duration parseCountdown(String option, String text) {
        double seconds;
        try {
            seconds = Double.parseDouble(text.strip());
        } catch (NumberFormatException e) {
            seconds = Double.NaN;
        }
        if (!Double.isFinite(seconds) || seconds < 0 || seconds > MAX_COUNTDOWN_SECONDS) {
            throw new UsageException(option + " expects seconds from 0 to " + (long) MAX_COUNTDOWN_SECONDS
                    + ", got '" + text + "'");
        }
        return Duration.ofNanos(Math.round(seconds * 1e9));
    }

    /** An ISO-8601 time with an offset; a usage error otherwise. */
    static java.time.Instant parseEta(String option, String text) {
        try {
            return OffsetDateTime.parse(text.strip()).toInstant();
        } catch (DateTimeParseException e) {
            throw new UsageException(option + " expects an ISO-8601 time with an offset, e.g. 2030-01-01T12:00:00Z,"
                    + " got '" + text + "'");
        }
    }

    /** About 100 years: beyond it a countdown is surely a mistake (and seconds * 1e9 stays in a long). */
    static final double MAX_COUNTDOWN_SECONDS = 100 * 365.25 * 86400;

    /**
     * The next line of {@code in} without its {@code \n} or {@code \r\n}, as bytes (so that raw lines
     * are sent exactly and text is decoded strictly); null at the end. A last line without a newline counts.
     */
    static byte @Nullable [] readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) != -1 && c != '\n') {
            line.write(c);
        }
        if (c == -1 && line.size() == 0) {
            return null;
        }
        byte[] b = line.toByteArray();
        return b.length > 0 && b[b.length - 1] == '\r' ? Arrays.copyOf(b, b.length - 1) : b;
    }

    private byte[] readFile(Path file) {
        try {
            if (file.toString().equals("-")) {
                return top.in.readAllBytes();
            }
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UsageException("cannot read --file " + file + ": "
                    + (e instanceof java.nio.file.NoSuchFileException ? "no such file" : e.getMessage()));
        }
    }

    /** Unknown or unavailable codecs are bad usage (exit 2), found before anything is published. */
    private void checkCodecs(Connection conn, String ser) {
        if (Body.JSON_FAMILY.contains(ser) && !conn.serializers().names().contains(ser)) {
            throw new UsageException("serializer '" + ser + "' is not available (available: "
                    + String.join(", ", new java.util.TreeSet<>(conn.serializers().names())) + ")");
        }
        if (compression != null) {
            try {
                conn.compressors().byName(compression);
            } catch (KombuException | UnsupportedOperationException | IllegalArgumentException e) {
                String msg = e.getMessage();
                throw new UsageException(msg != null && msg.contains(compression) ? msg
                        : "unknown compression '" + compression + "' (known: "
                                + String.join(", ", new java.util.TreeSet<>(conn.compressors().names())) + ")");
            }
        }
    }

    /** Turns command-line text or file bytes into the body object the chosen serializer expects. */
    private static final class Body {
        static final Set<String> JSON_FAMILY = Set.of("json", "msgpack", "yaml");
        final String serializer;
        final @Nullable String explicitContentType;
        final @Nullable String explicitEncoding;

        Body(String serializer) {
            this.serializer = serializer;
            // text and raw are Kombu's str/bytes paths: a fixed content type, no serializer involved.
            if (serializer.equals("text")) {
                explicitContentType = "text/plain";
                explicitEncoding = "utf-8";
            } else if (serializer.equals("raw")) {
                explicitContentType = "application/data";
                explicitEncoding = "binary";
            } else {
                explicitContentType = null;
                explicitEncoding = null;
            }
        }

        boolean parsesJson() {
            return JSON_FAMILY.contains(serializer);
        }

        @Nullable Object fromText(String text, String what) {
            if (parsesJson()) {
                return Json.parse(text, what);
            }
            if (serializer.equals("raw")) {
                return text.getBytes(StandardCharsets.UTF_8);
            }
            return text;
        }

        @Nullable Object fromBytes(byte[] bytes, String what) {
            if (serializer.equals("raw")) {
                return bytes;
            }
            return fromText(text(bytes, what), what);
        }

        /** Strict UTF-8: a lenient decoder would publish U+FFFD in place of every bad byte. */
        String text(byte[] bytes, String what) {
            try {
                return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
            } catch (CharacterCodingException e) {
                throw new UsageException(what + " is not valid UTF-8 (use --serializer raw to send bytes as they are)");
            }
        }
    }
}
