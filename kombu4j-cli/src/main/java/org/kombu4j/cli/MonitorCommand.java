package org.kombu4j.cli;

import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.jspecify.annotations.Nullable;
import org.kombu4j.BrokerUrl;
import org.kombu4j.Connection;
import org.kombu4j.OperationalException;
import org.kombu4j.cli.monitor.Access;
import org.kombu4j.cli.monitor.MonitorServer;
import org.kombu4j.cli.monitor.Sampler;
import org.kombu4j.transport.QueueStats;
import org.kombu4j.transport.Transport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code kombu4j monitor}: a live web page of the broker's queues, with JSON and Prometheus endpoints. */
@Command(name = "monitor", mixinStandardHelpOptions = true,
        description = {"Serve a live page of every queue on the broker (ready, unacknowledged, consumers, rates, charts of the",
                "last 5 minutes) at /, the queues as JSON at /api/queues, Prometheus metrics at /metrics. Read-only unless --allow-actions.",
                "Samples the broker once a second (Redis: one SCAN pass and one pipeline per sample; RabbitMQ: one",
                "management API request plus a passive declare per queue; SQL: one query). Runs until interrupted.",
                "Binding to anything but loopback needs --token or --basic-auth: requests without it get 401."})
final class MonitorCommand implements Callable<Integer> {
    /** The token, if not given by --token. */
    static final String TOKEN_ENV = "KOMBU4J_MONITOR_TOKEN";
    /** {@code user:pass}, if not given by --basic-auth. */
    static final String BASIC_AUTH_ENV = "KOMBU4J_MONITOR_BASIC_AUTH";

    @ParentCommand KombuCommand top;

    @Option(names = "--port", paramLabel = "PORT", defaultValue = "8088", description = "Port to serve on (default: ${DEFAULT-VALUE}; 0: any free port).")
    int port;

    @Option(names = "--bind", paramLabel = "ADDRESS", defaultValue = "127.0.0.1",
            description = "Address to serve on (default: ${DEFAULT-VALUE}). Any non-loopback address needs --token or --basic-auth.")
    String bind;

    @Option(names = "--token", paramLabel = "TOKEN",
            description = "Require this token (Authorization: Bearer TOKEN, or open /?token=TOKEN once). Default: $" + TOKEN_ENV + ".")
    @Nullable String token;

    @Option(names = "--basic-auth", paramLabel = "USER:PASS",
            description = "Require HTTP basic auth with this user and password. Default: $" + BASIC_AUTH_ENV + ".")
    @Nullable String basicAuth;

    @Option(names = "--allow-actions",
            description = "Allow purging a queue and moving dead letters back from the page (POST /api/purge, "
                    + "/api/requeue-dead-letters), each confirmed by typing the queue's name. Off by default: read-only.")
    boolean allowActions;

    /** Counted down when the server is up, for in-process runs (tests). */
    final CountDownLatch started = new CountDownLatch(1);
    volatile int boundPort;

    @Override
    public Integer call() throws Exception {
        if (port < 0 || port > 65535) {
            throw new UsageException("--port must be 0-65535, not " + port);
        }
        String tok = token != null ? token : top.env.get(TOKEN_ENV);
        String basic = basicAuth != null ? basicAuth : top.env.get(BASIC_AUTH_ENV);
        if (tok != null && tok.isEmpty()) {
            throw new UsageException("--token must not be empty");
        }
        if (basic != null && (basic.indexOf(':') <= 0)) {
            throw new UsageException("--basic-auth must be USER:PASS with a non-empty user");
        }
        InetAddress address;
        try {
            address = InetAddress.getByName(bind);
        } catch (UnknownHostException e) {
            throw new UsageException("--bind: unknown address '" + bind + "'");
        }
        Access access = new Access(tok, basic);
        if (!address.isLoopbackAddress() && !access.required()) {
            throw new UsageException("serving on " + bind + " (not loopback) needs a credential: --token TOKEN (or $"
                    + TOKEN_ENV + ") or --basic-auth USER:PASS");
        }
        String url = top.resolveUrl();
        String masked = BrokerUrl.maskRaw(url);
        List<String> secrets = new ArrayList<>();
        for (String one : url.split(";")) {
            try {
                String pw = BrokerUrl.parse(one.strip()).password();
                if (pw != null && !pw.isEmpty()) {
                    secrets.add(pw);
                }
            } catch (RuntimeException e) {
                // Connection.open below reports a malformed URL.
            }
        }
        try (Connection conn = top.open()) {
            Sampler.Source source = new Sampler.Source() {
                @Override
                public List<QueueStats> sample() {
                    synchronized (conn) { // with a purge from the page: one caller of the channel at a time
                        return read();
                    }
                }

                private List<QueueStats> read() {
                    Transport t = conn.transport();
                    if (!t.capabilities().canListQueues()) {
                        throw new Unsupported(t.name());
                    }
                    try {
                        return conn.defaultChannel().queueStats();
                    } catch (UnsupportedOperationException e) {
                        throw new Unsupported(t.name());
                    }
                }

                @Override
                public void reset() {
                    conn.resetTransport();
                }
            };
            try (Sampler sampler = new Sampler(source, Clock.systemUTC(), 1000)) {
                RuntimeException first = sampler.sampleOnce();
                if (first instanceof Unsupported || first != null && !(first instanceof OperationalException)) {
                    throw first;
                }
                MonitorServer server;
                try {
                    server = new MonitorServer(new InetSocketAddress(address, port), sampler, masked,
                            conn.urls().get(0).scheme(), access, secrets);
                } catch (BindException e) {
                    throw new CommandFailure("cannot serve on " + hostPort(bind, port) + ": "
                            + (e.getMessage() != null && e.getMessage().toLowerCase(java.util.Locale.ROOT).contains("in use")
                            ? "the port is in use" : Main.oneLine(String.valueOf(e.getMessage())))
                            + (port == 0 ? "" : " (choose another with --port)"));
                } catch (IOException e) {
                    throw new CommandFailure("cannot serve on " + hostPort(bind, port) + ": " + Main.oneLine(String.valueOf(e.getMessage())));
                }
                if (allowActions) {
                    server.allowActions(new MonitorServer.Actions() {
                        @Override
                        public long purge(String queue) {
                            synchronized (conn) {
                                return conn.defaultChannel().purge(queue);
                            }
                        }

                        @Override
                        public MonitorServer.Requeued requeueDeadLetters(String queue) {
                            // On a channel of its own (channels are thread-safe), so sampling goes on meanwhile.
                            DeadLettersCommand.Requeued r = DeadLettersCommand.requeue(conn, queue, null, null);
                            return new MonitorServer.Requeued(r.moved(), r.leftCount(), r.left());
                        }
                    });
                }
                try (server) {
                    server.start();
                    sampler.start();
                    boundPort = server.port();
                    top.out.println("kombu4j monitor: " + masked + " on http://" + hostPort(bind, boundPort) + "/"
                            + (access.required() ? " (credential required)" : "") + (allowActions ? " (purge and requeue allowed)" : "")
                            + "; Ctrl-C to stop");
                    top.out.flush();
                    if (first != null) {
                        top.err.println("kombu4j: warning: cannot read the broker yet (" + Main.oneLine(String.valueOf(first.getMessage()))
                                + "); retrying, the page shows it");
                        top.err.flush();
                    }
                    CountDownLatch stop = new CountDownLatch(1);
                    Signals.onTermination(stop::countDown);
                    started.countDown();
                    try {
                        stop.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
        }
        return 0;
    }

    private static String hostPort(String host, int port) {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }

    /** The transport cannot list queues: nothing to monitor (exit 1). */
    private static final class Unsupported extends OperationalException {
        private static final long serialVersionUID = 1L;

        Unsupported(String transport) {
            super("the " + transport + " transport cannot list queues, so there is nothing to monitor");
        }
    }
}
