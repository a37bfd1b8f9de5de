package org.kombu4j.amqp;

/** Faults injected with rabbitmqctl. */
final class RabbitBrokerFaults {
    private RabbitBrokerFaults() {
    }

    /** Force-closes the broker side of the connection named {@code name} (client property connection_name). */
    static void closeConnection(String name) {
        String list = RabbitBroker.rabbitmqctl("list_connections", "-q", "pid", "client_properties");
        if (list == null) {
            throw new AssertionError("rabbitmqctl list_connections failed");
        }
        for (String line : list.split("\n")) {
            if (line.contains(name)) {
                String pid = line.trim().split("\\s+")[0];
                if (RabbitBroker.rabbitmqctl("close_connection", pid, "kombu4j fault test") == null) {
                    throw new AssertionError("rabbitmqctl close_connection " + pid + " failed");
                }
                return;
            }
        }
        throw new AssertionError("no broker connection named " + name + " in:\n" + list);
    }
}
