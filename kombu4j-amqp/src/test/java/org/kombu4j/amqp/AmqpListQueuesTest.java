package org.kombu4j.amqp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.kombu4j.AccessRefusedException;
import org.kombu4j.BrokerUrl;
import org.kombu4j.Connection;
import org.kombu4j.OperationalException;
import org.kombu4j.Queue;
import org.kombu4j.testkit.brokers.LocalRabbit;
import org.kombu4j.transport.OutgoingMessage;
import org.kombu4j.transport.QueueInfo;
import org.kombu4j.transport.RawMessage;
import org.kombu4j.transport.TransportChannel;

/** Listing queues through the RabbitMQ management API, against the local RabbitMQ with the plugin enabled. */
class AmqpListQueuesTest {
    /** The plugin refreshes queue statistics every 5 s by default; allow a few rounds. */
    private static final Duration STATS_PATIENCE = Duration.ofSeconds(30);

    private final List<String[]> created = new ArrayList<>(); // {url, queue}
    private String url;
    private String prefix;

    @BeforeEach
    void setUp() {
        url = LocalRabbit.url();
        LocalRabbit.requireManagement();
        prefix = "k4jlist." + UUID.randomUUID().toString().substring(0, 8) + ".";
    }

    @AfterEach
    void tearDown() {
        for (String[] c : created) {
            try (Connection conn = Connection.open(c[0])) {
                conn.channel().deleteQueue(c[1]);
            }
        }
    }

    private String declare(TransportChannel ch, String brokerUrl, String suffix) {
        String q = prefix + suffix;
        created.add(new String[] {brokerUrl, q});
        ch.declareQueue(Queue.of(q), false);
        return q;
    }

    private static RawMessage raw(String body) {
        return new RawMessage(body.getBytes(StandardCharsets.UTF_8), "text/plain", "utf-8", Map.of(),
                Map.of("delivery_mode", 2, "priority", 0));
    }

    /** Lists until this test's queues satisfy {@code done} (statistics lag), returning the last listing of them. */
    private List<QueueInfo> listUntil(TransportChannel ch, Predicate<List<QueueInfo>> done) throws InterruptedException {
        long deadline = System.nanoTime() + STATS_PATIENCE.toNanos();
        while (true) {
            List<QueueInfo> ours = ch.listQueues().stream().filter(q -> q.name().startsWith(prefix)).toList();
            if (done.test(ours) || System.nanoTime() > deadline) {
                return ours;
            }
            Thread.sleep(250);
        }
    }

    @Test
    void listsNamesReadyMessagesAndConsumers() throws InterruptedException {
        try (Connection conn = Connection.open(url)) {
            assertThat(conn.transport().capabilities().canListQueues()).isTrue();
            TransportChannel ch = conn.channel();
            String full = declare(ch, url, "full");
            String empty = declare(ch, url, "empty");
            String consumed = declare(ch, url, "consumed");
            for (int i = 0; i < 3; i++) {
                ch.publish(new OutgoingMessage("", full, raw("m" + i), false));
            }
            TransportChannel consumer = conn.channel();
            consumer.consume(consumed, null, false, m -> { });

            List<QueueInfo> expected = List.of(new QueueInfo(consumed, 0, 1), new QueueInfo(empty, 0, 0),
                    new QueueInfo(full, 3, 0));
            // Sorted by name; a just-declared queue shows 0 until the plugin has its statistics.
            assertThat(listUntil(ch, expected::equals)).containsExactlyElementsOf(expected);

            // Queues of other virtual hosts are not listed.
            assertThat(ch.listQueues()).extracting(QueueInfo::name).doesNotHaveDuplicates();

            // Counts are the queue's own, not the plugin's statistics (refreshed every 5 s): two more
            // messages show at once.
            ch.publish(new OutgoingMessage("", full, raw("m3"), false));
            ch.publish(new OutgoingMessage("", full, raw("m4"), false));
            ch.declareQueue(Queue.of(full), true); // a round trip after the publishes: they have arrived
            assertThat(ch.listQueues()).filteredOn(q -> q.name().equals(full)).singleElement()
                    .isEqualTo(new QueueInfo(full, 5, 0));
        }
    }

    @Test
    void theDefaultAndOddVirtualHostsAreUrlEncoded() throws InterruptedException {
        String root = "amqp://guest:guest@" + LocalRabbit.HOST + ":" + LocalRabbit.PORT + "//";
        try (Connection conn = Connection.open(root)) {
            TransportChannel ch = conn.channel();
            String q = declare(ch, root, "in-root");
            ch.publish(new OutgoingMessage("", q, raw("x"), false));
            assertThat(listUntil(ch, l -> l.equals(List.of(new QueueInfo(q, 1, 0)))))
                    .containsExactly(new QueueInfo(q, 1, 0));
        }

        // '/', ' ', '+' and '%' in a vhost name must reach the API as one escaped path segment.
        String vhost = "kombu4j-test/enc a+b%";
        if (LocalRabbit.rabbitmqctl("add_vhost", vhost) == null
                || LocalRabbit.rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*") == null) {
            throw new AssertionError("rabbitmqctl could not create the virtual host '" + vhost + "'");
        }
        try {
            String odd = "amqp://guest:guest@" + LocalRabbit.HOST + ":" + LocalRabbit.PORT + "/kombu4j-test%2Fenc%20a%2Bb%25";
            assertThat(BrokerUrl.parse(odd).virtualHost()).isEqualTo(vhost);
            try (Connection conn = Connection.open(odd)) {
                TransportChannel ch = conn.channel();
                String q = prefix + "odd"; // gone with its virtual host
                ch.declareQueue(Queue.of(q), false);
                assertThat(ch.listQueues()).extracting(QueueInfo::name).containsExactly(q);
            }
        } finally {
            LocalRabbit.rabbitmqctl("delete_vhost", vhost);
        }
    }

    @Test
    void aWrongManagerPortFailsQuicklyNamingThePlugin() {
        for (String port : new String[] {"1", String.valueOf(LocalRabbit.PORT)}) {
            // Port 1: nothing listens. The AMQP port: something answers, but not HTTP.
            try (Connection conn = Connection.open(url + "?manager_port=" + port)) {
                TransportChannel ch = conn.channel();
                long started = System.nanoTime();
                assertThatThrownBy(ch::listQueues).isInstanceOf(OperationalException.class)
                        .hasMessageContaining(LocalRabbit.HOST + ":" + port)
                        .hasMessageContaining("rabbitmq-plugins enable rabbitmq_management")
                        .hasMessageNotContaining("\n");
                assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(6));
                if (port.equals("1")) {
                    assertThat(catchThrowable(ch::listQueues).getMessage()).containsIgnoringCase("connection refused");
                }
            }
        }
    }

    @Test
    void aConnectThatGetsNoAnswerIsBoundedByTheConnectTimeout() throws IOException {
        // A listener that never accepts, its backlog filled: Linux drops further SYNs, so a connect
        // waits for an answer that never comes (a non-routable address would do the same, but this
        // machine's network may answer for any address).
        try (ServerSocket full = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            List<Socket> filling = new ArrayList<>();
            try {
                for (int i = 0; i < 4; i++) {
                    Socket s = new Socket();
                    filling.add(s);
                    try {
                        s.connect(full.getLocalSocketAddress(), 300);
                    } catch (IOException backlogFull) {
                        break;
                    }
                }
                try (Connection conn = Connection.open(url + "?manager_port=" + full.getLocalPort())) {
                    TransportChannel ch = conn.channel();
                    long started = System.nanoTime();
                    assertThatThrownBy(ch::listQueues).isInstanceOf(OperationalException.class)
                            .hasMessageContaining(":" + full.getLocalPort()).hasMessageContaining("rabbitmq_management");
                    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(9));
                }
            } finally {
                for (Socket s : filling) {
                    s.close();
                }
            }
        }
    }

    @Test
    void aServerThatNeverAnswersTimesOut() throws IOException {
        try (ServerSocket silent = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            Thread acceptor = new Thread(() -> {
                List<Socket> held = new ArrayList<>();
                try {
                    while (true) {
                        held.add(silent.accept()); // read nothing, answer nothing
                    }
                } catch (IOException closed) {
                    held.forEach(s -> {
                        try {
                            s.close();
                        } catch (IOException ignored) {
                            // Closing anyway.
                        }
                    });
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            BrokerUrl u = BrokerUrl.parse("amqp://guest:guest@127.0.0.1/?manager_port=" + silent.getLocalPort());
            ManagementApi api = new ManagementApi(u, AmqpOptions.from(u).manager(), "/", Duration.ofSeconds(1));
            long started = System.nanoTime();
            assertThatThrownBy(api::queues).isInstanceOf(OperationalException.class)
                    .hasMessageContaining("127.0.0.1:" + silent.getLocalPort()).hasMessageContaining("did not answer");
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
        }
    }

    @Test
    void aWrongPasswordIsAccessRefusedWithoutShowingIt() {
        try (Connection conn = Connection.open(url + "?manager_password=n0tTheP4ssword")) {
            TransportChannel ch = conn.channel();
            assertThatThrownBy(ch::listQueues).isInstanceOf(AccessRefusedException.class)
                    .hasMessageContaining(LocalRabbit.HOST + ":15672").hasMessageContaining("401")
                    .hasMessageContaining("manager_password").hasMessageNotContaining("n0tTheP4ssword");
        }
        // An unknown user named through manager_userid is refused the same way.
        try (Connection conn = Connection.open(url + "?manager_userid=nobody-k4j")) {
            assertThatThrownBy(conn.channel()::listQueues).isInstanceOf(AccessRefusedException.class)
                    .hasMessageContaining("nobody-k4j");
        }
    }
}
