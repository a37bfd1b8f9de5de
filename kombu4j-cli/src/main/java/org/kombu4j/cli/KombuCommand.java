package org.kombu4j.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import org.kombu4j.Connection;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/** The top-level {@code kombu4j} command: the global {@code --url} and the process's streams. */
@Command(name = "kombu4j", mixinStandardHelpOptions = true, versionProvider = KombuCommand.Version.class,
        description = "Publish, consume and inspect messages on any broker kombu4j has a transport for.",
        subcommands = {PublishCommand.class, ConsumeCommand.class, PurgeCommand.class, QueuesCommand.class, MonitorCommand.class,
                DeadLettersCommand.class, CeleryCommand.class, DemoCommand.class, BenchCommand.class},
        footer = {"", "URL defaults to $KOMBU4J_URL, then to " + KombuCommand.DEFAULT_URL + ": a durable broker in one SQLite file, "
                + "$KOMBU4J_HOME/broker.db (default: $XDG_DATA_HOME/kombu4j/broker.db, i.e. ~/.local/share/kombu4j/broker.db), "
                + "which every kombu4j command that names no URL shares. memory:// is in-process only.",
                "Exit status: 0 done, 1 broker or runtime error, 2 bad usage."})
final class KombuCommand implements Callable<Integer> {
    /**
     * The command's embedded default broker: {@code sqlite://}, one file that every process shares, so that
     * {@code publish} in one command and {@code consume} in the next meet with no server. The library's own
     * default ({@link Connection#DEFAULT_URL}, {@code memory://}) stays in-process: core cannot depend on the
     * SQL transport, and a library user who names no URL gets no file written behind their back.
     */
    static final String DEFAULT_URL = "sqlite://";

    // INHERIT: accepted before the subcommand and after it (the copy in each subcommand sets this field).
    @Option(names = "--url", paramLabel = "URL", scope = ScopeType.INHERIT,
            description = "Broker URL, e.g. redis://localhost:6379/0 "
                    + "(default: $KOMBU4J_URL, then sqlite://, the file $KOMBU4J_HOME/broker.db).")
    @Nullable String url;

    @Spec CommandSpec spec;

    final InputStream in;
    final PrintStream out;
    final PrintStream err;
    final Map<String, String> env;

    KombuCommand(InputStream in, PrintStream out, PrintStream err, Map<String, String> env) {
        this.in = in;
        this.out = out;
        this.err = err;
        this.env = env;
    }

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "missing a command: publish, consume, purge, queues, monitor, dead-letters, celery, demo or bench");
    }

    /** The URL to use: {@code --url}, then {@code KOMBU4J_URL}, then the embedded default. */
    String resolveUrl() {
        if (url != null && !url.isBlank()) {
            return url;
        }
        String fromEnv = env.get(Connection.URL_ENV);
        return fromEnv == null || fromEnv.isBlank() ? DEFAULT_URL : fromEnv;
    }

    /** Opens the resolved URL; a malformed URL or unknown scheme surfaces here as a usage error. */
    Connection open() {
        return Connection.open(resolveUrl());
    }

    static final class Version implements picocli.CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            Properties p = new Properties();
            try (InputStream s = KombuCommand.class.getResourceAsStream("version.properties")) {
                if (s != null) {
                    p.load(s);
                }
            }
            return new String[] {"kombu4j " + p.getProperty("version", "unknown")};
        }
    }
}
