package org.kombu4j.testkit;

import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.kombu4j.Connection;
import org.kombu4j.Queue;
import org.kombu4j.testkit.python.PythonKombu;

/**
 * What the interop suites a transport module extends share: a fresh queue per test on the module's broker, deleted
 * afterwards, and the Python Kombu peer ({@code /interop/kombu_matrix.py}) to publish into it or consume from it.
 */
public abstract class KombuPeerQueue {
    /** This test's queue, declared before it runs. */
    protected String queue;

    /** The broker URL for kombu4j. */
    protected abstract String url();

    /** The same broker as Python Kombu spells it; {@link #url()} unless the spellings differ. */
    protected String pythonUrl() {
        return url();
    }

    @BeforeEach
    void declarePeerQueue() {
        PythonKombu.requireModules("kombu");
        queue = "k4j.matrix." + UUID.randomUUID();
        try (Connection c = Connection.open(url())) {
            c.channel().declareQueue(Queue.of(queue), false);
        }
    }

    @AfterEach
    void deletePeerQueue() {
        if (queue != null) {
            try (Connection c = Connection.open(url())) {
                c.channel().deleteQueue(queue);
            }
        }
    }

    /** Runs the Python peer with {@code args} (mode, URL, queue...) and returns what it printed. */
    protected String python(String... args) {
        return PythonKombu.run(PythonKombu.script(KombuPeerQueue.class, "/interop/kombu_matrix.py"),
                Duration.ofSeconds(60), args);
    }
}
