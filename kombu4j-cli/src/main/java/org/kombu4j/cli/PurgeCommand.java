package org.kombu4j.cli;

import java.util.concurrent.Callable;
import org.kombu4j.Connection;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code kombu4j purge}: removes the ready messages of a queue. */
@Command(name = "purge", mixinStandardHelpOptions = true,
        description = {"Remove every ready message from a queue (a missing queue is an error).",
                "Prints: purged N messages from queue 'Q'"})
final class PurgeCommand implements Callable<Integer> {
    @ParentCommand KombuCommand top;

    @Option(names = "--queue", required = true, paramLabel = "Q", description = "The queue to purge.")
    String queue = "";

    @Override
    public Integer call() {
        if (queue.isEmpty()) {
            // As consume: an empty name is no queue (Redis would otherwise purge a list named "").
            throw new UsageException("a queue needs a name");
        }
        try (Connection conn = top.open()) {
            // Redis purges a list that never existed without complaint: ask first, as consume does.
            ConsumeCommand.requireQueue(conn, queue, "purge");
            long n = conn.defaultChannel().purge(queue);
            top.out.println("purged " + n + " messages from queue '" + queue + "'");
        }
        return 0;
    }
}
