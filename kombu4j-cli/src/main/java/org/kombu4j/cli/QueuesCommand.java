package org.kombu4j.cli;

import java.util.List;
import java.util.concurrent.Callable;
import org.kombu4j.Connection;
import org.kombu4j.transport.QueueInfo;
import org.kombu4j.transport.Transport;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** {@code kombu4j queues}: lists the broker's queues with their ready message counts. */
@Command(name = "queues", mixinStandardHelpOptions = true,
        description = {"List queues and their ready messages, one per line: NAME<TAB>MESSAGES (-1: unknown).",
                "Only where the transport can list queues; otherwise exit status 1.",
                "On RabbitMQ through its management API (plugin rabbitmq_management; URL options manager_hostname,",
                "manager_port (15672), manager_userid, manager_password) for the names; the counts are the queues' own."})
final class QueuesCommand implements Callable<Integer> {
    @ParentCommand KombuCommand top;

    @Override
    public Integer call() {
        try (Connection conn = top.open()) {
            Transport t = conn.transport();
            if (!t.capabilities().canListQueues()) {
                throw new CommandFailure(cannot(t));
            }
            List<QueueInfo> queues;
            try {
                queues = conn.defaultChannel().listQueues();
            } catch (UnsupportedOperationException e) {
                throw new CommandFailure(cannot(t));
            }
            for (QueueInfo q : queues) {
                top.out.println(q.name() + "\t" + q.messageCount());
            }
        }
        return 0;
    }

    private static String cannot(Transport t) {
        return "the " + t.name() + " transport cannot list queues";
    }
}
