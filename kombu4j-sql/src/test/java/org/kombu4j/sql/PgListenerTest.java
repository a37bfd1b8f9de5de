package org.kombu4j.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.kombu4j.AccessRefusedException;
import org.kombu4j.BrokerUrl;
import org.kombu4j.ConfigurationException;
import org.kombu4j.OperationalException;
import org.kombu4j.hub.Hub;
import org.kombu4j.sql.PgListener.Notification;
import org.kombu4j.testkit.brokers.PrivatePostgres;
import org.kombu4j.testkit.env.TestEnvironment;

/**
 * PgListener against real servers: the shared PostgreSQL on 127.0.0.1:5432 (trust) for LISTEN/NOTIFY, and
 * private clusters for authentication methods and for stopping or killing the server under a listener.
 */
class PgListenerTest {
    private static final String HOST = "127.0.0.1";
    private static final int SHARED_PORT = 5432;
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final String PASSWORD = "s3cret-Pässword";

    private static PrivatePostgres scramServer;

    private final List<AutoCloseable> resources = new ArrayList<>();
    private Selector selector;
    private String prefix;

    @BeforeAll
    static void startScramServer() throws Exception {
        scramServer = PrivatePostgres.start(PASSWORD);
    }

    @AfterAll
    static void stopScramServer() throws Exception {
        if (scramServer != null) {
            scramServer.close();
        }
    }

    @BeforeEach
    void setUp() throws IOException {
        TestEnvironment.requireListening("PostgreSQL", HOST, SHARED_PORT);
        selector = Selector.open();
        prefix = "kombu4j_pgl_" + UUID.randomUUID().toString().substring(0, 8);
    }

    @AfterEach
    void tearDown() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
        selector.close();
    }

    @Test
    void notificationsOnTwoChannelsWakeTheSelector() throws Exception {
        String plain = prefix + "_a";
        String quoted = prefix + "_B \"x\""; // upper case, space and quote: LISTEN must quote the identifier
        PgListener listener = listen(SHARED_PORT, null, plain, quoted);
        SelectionKey key = listener.socket().register(selector, SelectionKey.OP_READ);
        assertThat(listener.poll()).isEmpty();
        assertThat(listener.isOpen()).isTrue();
        assertThat(selector.selectNow()).isZero();

        try (Connection jdbc = sharedJdbc()) {
            int senderPid = backendPid(jdbc);
            try (Statement st = jdbc.createStatement()) {
                st.execute("NOTIFY " + plain + ", 'payload'");
                st.execute("NOTIFY " + prefix + "_other, 'not listened to'");
            }
            try (PreparedStatement ps = jdbc.prepareStatement("SELECT pg_notify(?, ?)")) {
                ps.setString(1, quoted);
                ps.setString(2, "été \uD83D\uDE80 'q'");
                ps.execute();
            }

            assertThat(selector.select(TIMEOUT.toMillis())).isEqualTo(1);
            assertThat(selector.selectedKeys()).containsExactly(key);
            List<Notification> got = awaitNotifications(listener, 2);
            assertThat(got).containsExactly(new Notification(senderPid, plain, "payload"),
                    new Notification(senderPid, quoted, "été \uD83D\uDE80 'q'"));
        }
        // Nothing else (the notification on the other channel never comes).
        assertThat(selector.select(300)).isZero();
        assertThat(listener.poll()).isEmpty();
    }

    @Test
    void aBurstOfLargeNotificationsArrivesCompleteAcrossPartialReads() throws Exception {
        String channel = prefix + "_burst";
        PgListener listener = listen(SHARED_PORT, null, channel);
        listener.socket().register(selector, SelectionKey.OP_READ);
        List<String> sent = new ArrayList<>();
        try (Connection jdbc = sharedJdbc()) {
            jdbc.setAutoCommit(false); // all delivered at commit, back to back
            try (PreparedStatement ps = jdbc.prepareStatement("SELECT pg_notify(?, ?)")) {
                for (int i = 0; i < 600; i++) {
                    String payload = i + ":" + "x".repeat((i * 37) % 7900);
                    sent.add(payload);
                    ps.setString(1, channel);
                    ps.setString(2, payload);
                    ps.execute();
                }
            }
            jdbc.commit();
        }
        List<Notification> got = awaitNotifications(listener, sent.size());
        assertThat(got).extracting(Notification::payload).containsExactlyElementsOf(sent);
        assertThat(got).extracting(Notification::channel).containsOnly(channel);
    }

    @Test
    void aHubReaderIsWokenByNotifyWhileTimersPing() throws Exception {
        String channel = prefix + "_hub";
        PgListener listener = listen(SHARED_PORT, null, channel);
        List<Notification> received = new CopyOnWriteArrayList<>();
        CountDownLatch two = new CountDownLatch(2);
        AtomicInteger pings = new AtomicInteger();
        try (Hub hub = new Hub()) {
            hub.addReader(listener.socket(), () -> {
                for (Notification n : listener.poll()) {
                    received.add(n);
                    two.countDown();
                }
            });
            hub.callRepeatedly(Duration.ofMillis(20), () -> {
                listener.ping();
                pings.incrementAndGet();
            });
            Thread loop = new Thread(hub::runForever, "pglistener-test-hub");
            loop.start();
            try (Connection jdbc = sharedJdbc(); Statement st = jdbc.createStatement()) {
                while (pings.get() < 5) {
                    Thread.sleep(10);
                }
                st.execute("NOTIFY " + channel + ", 'one'");
                st.execute("NOTIFY " + channel + ", 'two'");
                assertThat(two.await(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isTrue();
            } finally {
                hub.stop();
                loop.join(TIMEOUT.toMillis());
            }
        }
        assertThat(received).extracting(Notification::payload).containsExactly("one", "two");
        assertThat(pings.get()).isGreaterThanOrEqualTo(5);
    }

    @Test
    void pingRepliesAreConsumedSilently() throws Exception {
        String channel = prefix + "_ping";
        PgListener listener = listen(SHARED_PORT, null, channel);
        listener.socket().register(selector, SelectionKey.OP_READ);
        for (int i = 0; i < 5; i++) {
            listener.ping();
        }
        // The replies (EmptyQueryResponse, ReadyForQuery) wake the selector and decode to nothing.
        assertThat(selector.select(TIMEOUT.toMillis())).isEqualTo(1);
        selector.selectedKeys().clear();
        long deadline = System.nanoTime() + Duration.ofSeconds(1).toNanos();
        while (System.nanoTime() < deadline) {
            assertThat(listener.poll()).isEmpty();
            selector.select(100);
            selector.selectedKeys().clear();
        }
        assertThat(listener.isOpen()).isTrue();
        try (Connection jdbc = sharedJdbc(); Statement st = jdbc.createStatement()) {
            st.execute("NOTIFY " + channel + ", 'after pings'");
        }
        listener.ping();
        assertThat(awaitNotifications(listener, 1)).extracting(Notification::payload).containsExactly("after pings");
    }

    @Test
    void terminatingTheListenerBackendMakesPollThrow() throws Exception {
        PgListener listener = listen(SHARED_PORT, null, prefix + "_term");
        listener.socket().register(selector, SelectionKey.OP_READ);
        try (Connection jdbc = sharedJdbc(); Statement st = jdbc.createStatement();
                ResultSet rs = st.executeQuery("SELECT pg_terminate_backend(" + listener.backendPid() + ")")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getBoolean(1)).isTrue();
        }
        OperationalException fault = awaitFault(listener);
        assertThat(fault).hasMessageContaining(HOST + ":" + SHARED_PORT).hasMessageContaining("57P01");
        assertThat(listener.isOpen()).isFalse();
        // The fault stays: later calls throw it again rather than pretending the listener works.
        assertThatThrownBy(listener::poll).isSameAs(fault);
        assertThatThrownBy(listener::ping).isSameAs(fault);
        listener.close();
    }

    @Test
    void closeTerminatesTheBackendAndIsIdempotent() throws Exception {
        PgListener listener = PgListener.connect(HOST, SHARED_PORT, "postgres", "postgres", null,
                List.of(prefix + "_close"), TIMEOUT);
        int pid = listener.backendPid();
        assertThat(pid).isPositive();
        try (Connection jdbc = sharedJdbc()) {
            assertThat(backendExists(jdbc, pid)).isTrue();
            listener.close();
            listener.close();
            assertThat(listener.isOpen()).isFalse();
            assertThatThrownBy(listener::poll).isInstanceOf(OperationalException.class)
                    .hasMessageContaining("closed");
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (backendExists(jdbc, pid) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(backendExists(jdbc, pid)).as("backend %d gone after Terminate", pid).isFalse();
        }
    }

    @Test
    void noChannelsIsAConnectionThatOnlyPings() throws Exception {
        PgListener listener = listen(SHARED_PORT, null);
        listener.socket().register(selector, SelectionKey.OP_READ);
        listener.ping();
        assertThat(selector.select(TIMEOUT.toMillis())).isEqualTo(1);
        assertThat(listener.poll()).isEmpty();
        assertThat(listener.isOpen()).isTrue();
    }

    @Test
    void unknownDatabaseIsRefusedByName() {
        String database = prefix + "_nodb";
        assertThatThrownBy(() -> PgListener.connect(HOST, SHARED_PORT, database, "postgres", null, List.of("c"),
                TIMEOUT))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining(database).hasMessageContaining(HOST + ":" + SHARED_PORT)
                .hasMessageContaining("3D000");
    }

    @Test
    void channelNamesPostgresWouldTruncateAreRejected() {
        for (String bad : List.of("", "x".repeat(64), "é".repeat(32), "a\0b")) {
            assertThatThrownBy(() -> PgListener.connect(HOST, SHARED_PORT, "postgres", "postgres", null,
                    List.of(bad), TIMEOUT))
                    .isInstanceOf(ConfigurationException.class).hasMessageContaining("LISTEN");
        }
    }

    @Test
    void longestAllowedChannelNameWorks() throws Exception {
        String channel = (prefix + "_" + "é".repeat(40)).substring(0, 21 + 21); // 21 ASCII + 21 x 2 bytes = 63
        assertThat(channel.getBytes(StandardCharsets.UTF_8)).hasSize(63);
        PgListener listener = listen(SHARED_PORT, null, channel);
        listener.socket().register(selector, SelectionKey.OP_READ);
        try (Connection jdbc = sharedJdbc(); PreparedStatement ps = jdbc.prepareStatement("SELECT pg_notify(?, 'p')")) {
            ps.setString(1, channel);
            ps.execute();
        }
        assertThat(awaitNotifications(listener, 1)).extracting(Notification::channel).containsExactly(channel);
    }

    @Test
    void refusedConnectionIsOperational() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
            port = s.getLocalPort();
        }
        assertThatThrownBy(() -> PgListener.connect(HOST, port, "postgres", "postgres", null, List.of("c"), TIMEOUT))
                .isInstanceOf(OperationalException.class)
                .hasMessage("cannot connect to PostgreSQL at " + HOST + ":" + port + ": Connection refused");
    }

    @Test
    void silentServerTimesOut() throws IOException {
        // The kernel completes the TCP handshake from the backlog; nobody ever answers the startup message.
        try (ServerSocket silent = new ServerSocket(0, 5, InetAddress.getByName(HOST))) {
            long start = System.nanoTime();
            assertThatThrownBy(() -> PgListener.connect(HOST, silent.getLocalPort(), "postgres", "postgres", null,
                    List.of("c"), Duration.ofMillis(300)))
                    .isInstanceOf(OperationalException.class)
                    .hasMessageContaining(HOST + ":" + silent.getLocalPort()).hasMessageContaining("300 ms");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
        }
    }

    @Test
    void scramWithTheRightPasswordListens() throws Exception {
        String channel = prefix + "_scram";
        // Connect as the transport will: from the URL (the testkit percent-encodes the non-ASCII password).
        BrokerUrl url = BrokerUrl.parse(scramServer.url("postgres"));
        assertThat(url.password()).isEqualTo(PASSWORD);
        PgListener listener = PgListener.connect(url.host(), url.port(5432), url.virtualHost(), url.user(),
                url.password(), List.of(channel), TIMEOUT);
        resources.add(listener);
        listener.socket().register(selector, SelectionKey.OP_READ);
        try (Connection jdbc = DriverManager.getConnection(scramServer.jdbcUrl("postgres"), "postgres", PASSWORD);
                Statement st = jdbc.createStatement()) {
            st.execute("NOTIFY " + channel + ", 'over scram'");
        }
        assertThat(awaitNotifications(listener, 1)).extracting(Notification::payload).containsExactly("over scram");
    }

    @Test
    void scramWithAWrongOrMissingPasswordIsRefused() {
        String wrong = "not-the-password";
        assertThatThrownBy(() -> PgListener.connect(HOST, scramServer.port(), "postgres", "postgres", wrong,
                List.of("c"), TIMEOUT))
                .isInstanceOf(AccessRefusedException.class)
                .hasMessageContaining("\"postgres\"").hasMessageContaining(HOST + ":" + scramServer.port())
                .hasMessageContaining("28P01").hasMessageNotContaining(wrong);
        assertThatThrownBy(() -> PgListener.connect(HOST, scramServer.port(), "postgres", "postgres", null,
                List.of("c"), TIMEOUT))
                .isInstanceOf(AccessRefusedException.class).hasMessageContaining("none was given");
        assertThatThrownBy(() -> PgListener.connect(HOST, scramServer.port(), "postgres", "nobody", PASSWORD,
                List.of("c"), TIMEOUT))
                .isInstanceOf(AccessRefusedException.class).hasMessageContaining("\"nobody\"")
                .hasMessageNotContaining(PASSWORD);
    }

    @Test
    void md5AndCleartextPasswordsAuthenticate() throws Exception {
        for (PrivatePostgres.HostAuth auth : List.of(PrivatePostgres.HostAuth.MD5, PrivatePostgres.HostAuth.PASSWORD)) {
            try (PrivatePostgres pg = PrivatePostgres.builder().password(PASSWORD).hostAuth(auth).start()) {
                String channel = prefix + "_" + auth.name().toLowerCase();
                PgListener listener = PgListener.connect(HOST, pg.port(), "postgres", "postgres", PASSWORD,
                        List.of(channel), TIMEOUT);
                resources.add(listener);
                try (Selector own = Selector.open()) {
                    listener.socket().register(own, SelectionKey.OP_READ);
                    pg.psql("postgres", "NOTIFY " + channel + ", '" + auth + "'");
                    assertThat(own.select(TIMEOUT.toMillis())).as(auth.name()).isEqualTo(1);
                    assertThat(listener.poll()).extracting(Notification::payload).containsExactly(auth.name());
                }
                assertThatThrownBy(() -> PgListener.connect(HOST, pg.port(), "postgres", "postgres", "wrong",
                        List.of(channel), TIMEOUT))
                        .as(auth.name()).isInstanceOf(AccessRefusedException.class)
                        .hasMessageContaining("28P01").hasMessageContaining(HOST + ":" + pg.port());
                if (auth == PrivatePostgres.HostAuth.MD5) {
                    assertThat(pg.psql("postgres", "SELECT rolpassword FROM pg_authid WHERE rolname = 'postgres'"))
                            .as("the server really stores (and so asks for) MD5").startsWith("md5");
                }
            }
        }
    }

    @Test
    void stoppingOrKillingThePrivateServerMakesPollThrow() throws Exception {
        try (PrivatePostgres pg = PrivatePostgres.start()) {
            String channel = prefix + "_fault";
            PgListener first = listen(pg.port(), null, channel);
            first.socket().register(selector, SelectionKey.OP_READ);
            pg.stop(); // fast shutdown: the backend says why (57P01) before closing
            assertThat(awaitFault(first)).hasMessageContaining(HOST + ":" + pg.port())
                    .hasMessageContaining("57P01");
            assertThat(first.isOpen()).isFalse();

            pg.restart();
            PgListener second = listen(pg.port(), null, channel);
            try (Selector own = Selector.open()) {
                second.socket().register(own, SelectionKey.OP_READ);
                pg.psql("postgres", "NOTIFY " + channel + ", 'after restart'");
                assertThat(own.select(TIMEOUT.toMillis())).isEqualTo(1);
                assertThat(second.poll()).extracting(Notification::payload).containsExactly("after restart");
                pg.kill(); // immediate shutdown: as in a crash
                OperationalException fault = awaitFault(second, own);
                assertThat(fault).hasMessageContaining(HOST + ":" + pg.port());
            }
            assertThatThrownBy(() -> listen(pg.port(), null, channel)).isInstanceOf(OperationalException.class)
                    .hasMessageContaining("Connection refused");
        }
    }

    // ---------------------------------------------------------------------------------------------------------

    private PgListener listen(int port, String password, String... channels) {
        PgListener listener = PgListener.connect(HOST, port, "postgres", "postgres", password, List.of(channels),
                TIMEOUT);
        resources.add(listener);
        assertThat(listener.socket().isBlocking()).isFalse();
        return listener;
    }

    private List<Notification> awaitNotifications(PgListener listener, int count) throws IOException {
        List<Notification> got = new ArrayList<>(listener.poll());
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (got.size() < count && System.nanoTime() < deadline) {
            selector.select(100);
            selector.selectedKeys().clear();
            got.addAll(listener.poll());
        }
        assertThat(got).as("notifications").hasSize(count);
        return got;
    }

    private OperationalException awaitFault(PgListener listener) throws IOException {
        return awaitFault(listener, selector);
    }

    private static OperationalException awaitFault(PgListener listener, Selector sel) throws IOException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            sel.select(100);
            sel.selectedKeys().clear();
            try {
                listener.poll();
            } catch (OperationalException e) {
                return e;
            }
        }
        throw new AssertionError("poll() did not throw within " + TIMEOUT);
    }

    private static Connection sharedJdbc() throws SQLException {
        return DriverManager.getConnection("jdbc:postgresql://" + HOST + ":" + SHARED_PORT + "/postgres", "postgres",
                "");
    }

    private static int backendPid(Connection jdbc) throws SQLException {
        try (Statement st = jdbc.createStatement(); ResultSet rs = st.executeQuery("SELECT pg_backend_pid()")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static boolean backendExists(Connection jdbc, int pid) throws SQLException {
        try (PreparedStatement ps = jdbc.prepareStatement("SELECT 1 FROM pg_stat_activity WHERE pid = ?")) {
            ps.setInt(1, pid);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }
}
