package org.kombu4j.cli;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.kombu4j.AccessRefusedException;
import org.kombu4j.ConfigurationException;
import org.kombu4j.EncodeException;
import picocli.CommandLine;

/**
 * Entry point of the {@code kombu4j} command. Maps every outcome to the exit statuses of the
 * contract: 0 done, 1 broker or runtime error ({@code kombu4j: error: ...}), 2 bad usage
 * ({@code kombu4j: ...}); one line on standard error, a stack trace only with {@code KOMBU4J_DEBUG=1}.
 */
public final class Main {
    /** Set to {@code 1} to get stack traces of failures on standard error. */
    public static final String DEBUG_ENV = "KOMBU4J_DEBUG";

    private Main() {
    }

    /** True in the command's own process (not in-process runs): signal handlers may be installed. */
    static volatile boolean standalone;

    public static void main(String[] args) {
        standalone = true;
        configureLogging(System.getenv());
        // Buffered: consume flushes after each message, so output is prompt without a syscall per print.
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), false, StandardCharsets.UTF_8);
        PrintStream err = new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8);
        int status = run(args, System.in, out, err, System.getenv());
        out.flush();
        err.flush();
        System.exit(status);
    }

    /**
     * Runs one command line in-process and returns its exit status; never calls {@code System.exit}.
     *
     * @param env the environment to read {@code KOMBU4J_URL} and {@code KOMBU4J_DEBUG} from
     */
    public static int run(String[] args, InputStream in, PrintStream out, PrintStream err, Map<String, String> env) {
        configureLogging(env);
        boolean debug = "1".equals(env.get(DEBUG_ENV));
        KombuCommand top = new KombuCommand(in, out, err, env);
        CommandLine cl = new CommandLine(top);
        cl.setOut(new PrintWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), true));
        cl.setErr(new PrintWriter(new OutputStreamWriter(err, StandardCharsets.UTF_8), true));
        cl.setParameterExceptionHandler((e, a) -> {
            if (debug) {
                e.printStackTrace(err);
            }
            err.println("kombu4j: " + oneLine(e.getMessage()) + " (see '" + e.getCommandLine().getCommandSpec().qualifiedName()
                    + " --help')");
            return 2;
        });
        cl.setExecutionExceptionHandler((e, c, p) -> failure(e, err, debug));
        int status = cl.execute(args);
        out.flush();
        err.flush();
        return status;
    }

    /** Same as {@link #run(String[], InputStream, PrintStream, PrintStream, Map)} with an empty standard input. */
    public static int run(String[] args, PrintStream out, PrintStream err, Map<String, String> env) {
        return run(args, InputStream.nullInputStream(), out, err, env);
    }

    static int failure(Exception e, PrintStream err, boolean debug) {
        if (debug) {
            e.printStackTrace(err);
        }
        String message = e.getMessage() == null || e.getMessage().isBlank() ? e.getClass().getSimpleName() : e.getMessage();
        // A refused login or permission is the broker's answer, not bad usage: exit 1 like any broker error.
        if (e instanceof UsageException || e instanceof ConfigurationException && !(e instanceof AccessRefusedException)
                || e instanceof EncodeException) {
            err.println("kombu4j: " + oneLine(message));
            return 2;
        }
        err.println("kombu4j: error: " + oneLine(message));
        return 1;
    }

    static String oneLine(String s) {
        return s.replace("\r\n", " ").replace('\n', ' ').replace('\r', ' ').strip();
    }

    private static void configureLogging(Map<String, String> env) {
        // Must happen before the first logger is created; an explicit -D setting wins.
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "1".equals(env.get(DEBUG_ENV)) ? "debug" : "warn");
        }
        if (System.getProperty("org.slf4j.simpleLogger.logFile") == null) {
            System.setProperty("org.slf4j.simpleLogger.logFile", "System.err");
        }
        if (!"1".equals(env.get(DEBUG_ENV))) {
            // Connection warns about a failed connect and then throws; the error line we print says the same.
            quiet("org.kombu4j.Connection", "error");
            // The RabbitMQ client logs what it then throws (a refused login, a dropped socket) with a
            // stack trace; the one error line we print already says it, and stderr must stay one line.
            quiet("com.rabbitmq", "off");
            // It warns of a lost connection, which the next call then throws: the error line says it once.
            quiet("org.kombu4j.amqp.AmqpTransport", "error");
            // consume prints its own one warning line per lost connection, not one per failed attempt.
            quiet("org.kombu4j.ConsumerLoop", "error");
        }
    }

    /** Lowers {@code logger}'s level, unless an explicit -D setting names one. */
    private static void quiet(String logger, String level) {
        String key = "org.slf4j.simpleLogger.log." + logger;
        if (System.getProperty(key) == null) {
            System.setProperty(key, level);
        }
    }
}
