package org.kombu4j.cli;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SIGTERM and SIGINT for long-running commands: a graceful stop that ends with the command's own exit status
 * (a shutdown hook could only run while the JVM exits with 143 or 130). Only in the command's own process: an
 * in-process run (tests) must not take the JVM's signals.
 */
final class Signals {
    private static final Logger log = LoggerFactory.getLogger(Signals.class);

    private Signals() {
    }

    @SuppressWarnings("removal")
    static void onTermination(Runnable action) {
        if (!Main.standalone) {
            return;
        }
        for (String name : new String[] {"TERM", "INT"}) {
            try {
                // sun.misc.Signal (module jdk.unsupported) is the only JDK way to handle a signal and keep running.
                sun.misc.Signal.handle(new sun.misc.Signal(name), s -> action.run());
            } catch (IllegalArgumentException | UnsupportedOperationException | LinkageError e) {
                log.debug("cannot handle SIG{}: {}", name, e.toString());
                Runtime.getRuntime().addShutdownHook(new Thread(action, "kombu4j-shutdown"));
                return;
            }
        }
    }
}
