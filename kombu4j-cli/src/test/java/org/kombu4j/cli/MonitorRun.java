package org.kombu4j.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code kombu4j monitor} run in-process (so that {@code memory://} is this JVM's broker) on a free port, with
 * an HTTP client for it; closing it interrupts the command, which stops the server.
 */
final class MonitorRun implements AutoCloseable {
    private static final Pattern SERVING = Pattern.compile("on http://(\\S+):(\\d+)/");
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    final Thread thread;
    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    final ByteArrayOutputStream err = new ByteArrayOutputStream();
    volatile int status = -1;
    final int port;

    MonitorRun(Map<String, String> env, String... args) throws InterruptedException {
        PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
        List<String> all = new ArrayList<>(List.of(args));
        thread = new Thread(() -> status = Main.run(all.toArray(String[]::new), o, e, env), "monitor-under-test");
        thread.setDaemon(true);
        thread.start();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            Matcher m = SERVING.matcher(out());
            if (m.find()) {
                port = Integer.parseInt(m.group(2));
                return;
            }
            if (!thread.isAlive() || System.nanoTime() > deadline) {
                throw new AssertionError("monitor did not start (status " + status + "): " + out() + err());
            }
            Thread.sleep(20);
        }
    }

    static MonitorRun start(String url, String... extra) throws InterruptedException {
        List<String> args = new ArrayList<>(List.of("--url", url, "monitor", "--port", "0"));
        args.addAll(List.of(extra));
        return new MonitorRun(Map.of(), args.toArray(String[]::new));
    }

    String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    HttpResponse<String> get(String path, String... headers) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(10)).GET();
        if (headers.length > 0) {
            b.headers(headers);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Override
    public void close() throws InterruptedException {
        thread.interrupt();
        thread.join(10_000);
    }
}
