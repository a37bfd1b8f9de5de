package org.kombu4j.sql;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.jspecify.annotations.Nullable;
import org.kombu4j.AccessRefusedException;
import org.kombu4j.ConfigurationException;
import org.kombu4j.KombuException;
import org.kombu4j.OperationalException;

/**
 * A minimal PostgreSQL frontend/backend protocol (v3) client that does one thing: {@code LISTEN} on some
 * channels and decode the {@code NotificationResponse}s that arrive.
 *
 * <p>Why hand-written rather than pgjdbc: the SQL transport's consumers are woken by {@code NOTIFY} on a socket
 * that kombu4j's own event loop ({@link org.kombu4j.hub.Hub}, a {@link Selector}) watches, so that an idle
 * consumer runs no queries and needs no thread. pgjdbc's connection is a blocking {@link java.net.Socket} that
 * cannot be registered with a Selector (its notifications are only read when a query runs or a thread blocks in
 * {@code getNotifications(timeout)}).
 *
 * <p>{@link #connect} blocks (within its timeout) for the TCP connect, the startup and authentication (trust,
 * cleartext password, MD5, SCRAM-SHA-256 without channel binding) and the {@code LISTEN}s; then {@link #socket()}
 * is non-blocking: register it with a Selector for {@code OP_READ} and call {@link #poll()} when it is readable.
 * Not supported: SSL (a transport asked for {@code sslmode} must fall back to polling), SCRAM-SHA-256-PLUS, GSSAPI,
 * SSPI, Kerberos; the password is used as given, without SASLprep (the same bytes PostgreSQL falls back to for
 * passwords that are not valid SASLprep input, and the same for every ASCII password).
 *
 * <p>Faults: a fault after connect (EOF, I/O error, an {@code ErrorResponse} such as 57P01 admin shutdown)
 * closes the listener and {@link #poll()} throws {@link OperationalException}; the notifications decoded in the
 * same call are dropped, and so are those sent while no listener was connected, so after reconnecting a
 * consumer must look for work once rather than wait for a notification.
 *
 * <p>Not thread-safe: one thread (the Hub's) uses an instance after connect.
 */
final class PgListener implements AutoCloseable {

    /** A {@code NotificationResponse}: the sending backend's process id, the channel and the payload. */
    record Notification(int pid, String channel, String payload) {
    }

    private static final int PROTOCOL_3_0 = 196_608;
    /** PostgreSQL's NAMEDATALEN - 1: longer identifiers are silently truncated, so a LISTEN would never match. */
    private static final int MAX_IDENTIFIER_BYTES = 63;
    /** A backend message longer than this is a protocol error (notifications carry at most 8000 bytes). */
    private static final int MAX_MESSAGE_BYTES = 16 << 20;
    /** Reads per {@link #poll()}, so a flood of notifications cannot hold the event loop. */
    private static final int MAX_READS_PER_POLL = 16;

    private static final int AUTH_OK = 0;
    private static final int AUTH_CLEARTEXT = 3;
    private static final int AUTH_MD5 = 5;
    private static final int AUTH_SASL = 10;
    private static final int AUTH_SASL_CONTINUE = 11;
    private static final int AUTH_SASL_FINAL = 12;

    private final SocketChannel socket;
    private final String where;
    private final int backendPid;
    private ByteBuffer in;
    private ByteBuffer out = ByteBuffer.allocate(0);
    private @Nullable OperationalException fault;
    private boolean closed;

    private PgListener(SocketChannel socket, String where, int backendPid, ByteBuffer in) {
        this.socket = socket;
        this.where = where;
        this.backendPid = backendPid;
        this.in = in;
    }

    /**
     * Connects to {@code host:port}, authenticates {@code user} to {@code database}, runs {@code LISTEN} on each
     * of {@code channels} (quoted identifiers: case and every character kept) and waits for the server to be
     * ready; all within {@code timeout}. Then the socket is non-blocking. Call {@link #poll()} once after
     * registering it with a Selector: a notification that arrived together with the LISTEN reply is already
     * buffered, and the Selector would not report it.
     *
     * @throws OperationalException the server is unreachable, too slow, or fails (retryable)
     * @throws AccessRefusedException the server refused the user, password or database
     * @throws ConfigurationException a channel name PostgreSQL cannot LISTEN on, or an authentication method
     *     this client does not speak
     */
    static PgListener connect(String host, int port, String database, String user, @Nullable String password,
            List<String> channels, Duration timeout) {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(database, "database");
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(timeout, "timeout");
        for (String channel : channels) {
            checkChannel(channel);
        }
        String where = (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
        long deadline = System.nanoTime() + Math.max(1, timeout.toNanos());
        SocketChannel socket;
        try {
            socket = SocketChannel.open();
        } catch (IOException e) {
            throw new OperationalException("cannot connect to PostgreSQL at " + where + ": " + e.getMessage(), e);
        }
        boolean ok = false;
        // Closing the private selector deregisters the socket, which stays non-blocking for the caller's.
        try (Selector selector = Selector.open()) {
            socket.configureBlocking(false);
            Handshake h = new Handshake(socket, selector, where, deadline, timeout, user, database, password);
            h.connect(new InetSocketAddress(host, port));
            h.startup();
            if (!channels.isEmpty()) {
                StringBuilder sql = new StringBuilder();
                for (String channel : channels) {
                    sql.append("LISTEN ").append(quoteIdentifier(channel)).append(';');
                }
                h.listen(sql.toString());
            }
            PgListener listener = new PgListener(socket, where, h.backendPid, h.in);
            ok = true;
            return listener;
        } catch (IOException e) {
            throw new OperationalException("cannot connect to PostgreSQL at " + where + ": " + describe(e), e);
        } finally {
            if (!ok) {
                try {
                    socket.close();
                } catch (IOException ignored) {
                    // already failing
                }
            }
        }
    }

    /** The non-blocking socket: register it with a Selector for {@code OP_READ} and {@link #poll()} when ready. */
    SocketChannel socket() {
        return socket;
    }

    /** The server process id of this connection (from BackendKeyData), e.g. to ignore our own notifications. */
    int backendPid() {
        return backendPid;
    }

    /**
     * Reads what has arrived, without blocking, and returns the notifications in it (an empty list when there are
     * none yet or only part of a message arrived: the rest is kept for the next call). Flushes a pending
     * {@link #ping()} first.
     *
     * @throws OperationalException the server closed the connection or sent an error, or an I/O error; the
     *     listener is closed then
     */
    List<Notification> poll() {
        checkUsable();
        flush();
        List<Notification> notifications = new ArrayList<>(0);
        for (int reads = 0; reads < MAX_READS_PER_POLL; reads++) {
            if (!in.hasRemaining()) {
                in = grow(in, in.capacity() * 2);
            }
            int n;
            try {
                n = socket.read(in);
            } catch (IOException e) {
                throw fail("lost the LISTEN connection to PostgreSQL at " + where + ": " + describe(e), e);
            }
            if (n < 0) {
                decode(notifications); // an ErrorResponse before the EOF says why: it wins
                throw fail("PostgreSQL at " + where + " closed the LISTEN connection", null);
            }
            decode(notifications);
            if (n == 0) {
                break;
            }
        }
        return notifications;
    }

    /**
     * Sends an empty query as a keep-alive (its replies are consumed by later {@link #poll()}s). Never blocks:
     * what the socket does not take now is sent by the next call of {@code ping} or {@code poll}.
     *
     * @throws OperationalException an I/O error (the listener is closed then)
     */
    void ping() {
        checkUsable();
        Message q = new Message('Q').cstring(";");
        out = append(out, q.finish());
        flush();
    }

    /** False after {@link #close()} or a fault. */
    boolean isOpen() {
        return !closed && fault == null && socket.isOpen();
    }

    /** Sends Terminate (if the socket takes it now) and closes the socket. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (fault == null && socket.isOpen()) {
                socket.write(new Message('X').finish());
            }
        } catch (IOException ignored) {
            // closing anyway
        } finally {
            try {
                socket.close();
            } catch (IOException ignored) {
                // nothing left to release
            }
        }
    }

    @Override
    public String toString() {
        return "PgListener[" + where + ", pid " + backendPid + (isOpen() ? "" : ", closed") + "]";
    }

    private void checkUsable() {
        if (fault != null) {
            throw fault;
        }
        if (closed) {
            throw new OperationalException("the LISTEN connection to PostgreSQL at " + where + " is closed");
        }
    }

    private void flush() {
        if (!out.hasRemaining()) {
            return;
        }
        try {
            socket.write(out);
        } catch (IOException e) {
            throw fail("lost the LISTEN connection to PostgreSQL at " + where + ": " + describe(e), e);
        }
    }

    /** Decodes the complete messages in {@code in} (write mode before and after). */
    private void decode(List<Notification> sink) {
        in.flip();
        try {
            while (in.remaining() >= 5) {
                int start = in.position();
                byte type = in.get(start);
                int length = in.getInt(start + 1);
                if (length < 4 || length > MAX_MESSAGE_BYTES) {
                    throw fail("protocol error from PostgreSQL at " + where + ": message '" + (char) type
                            + "' of length " + length, null);
                }
                if (in.remaining() < length + 1) {
                    if (in.capacity() < length + 1) {
                        ByteBuffer bigger = ByteBuffer.allocate(length + 1);
                        bigger.put(in);
                        bigger.flip();
                        in = bigger;
                    }
                    break;
                }
                ByteBuffer body = in.slice(start + 5, length - 4);
                in.position(start + 1 + length);
                switch (type) {
                    case 'A' -> {
                        int pid = body.getInt();
                        String channel = cstring(body);
                        String payload = cstring(body);
                        sink.add(new Notification(pid, channel, payload));
                    }
                    case 'E' -> {
                        Map<Character, String> fields = errorFields(body);
                        throw fail("PostgreSQL at " + where + " ended the LISTEN connection: "
                                + describe(fields), null);
                    }
                    default -> {
                        // ParameterStatus, NoticeResponse, ReadyForQuery, CommandComplete, EmptyQueryResponse
                    }
                }
            }
        } finally {
            in.compact();
        }
    }

    private OperationalException fail(String message, @Nullable Throwable cause) {
        if (fault == null) {
            fault = new OperationalException(message, cause);
            try {
                socket.close();
            } catch (IOException ignored) {
                // already failing
            }
        }
        return fault;
    }

    // ------------------------------------------------------------------------------------------------------
    // Connect, startup, authentication, LISTEN (blocking within a deadline, on a private Selector)

    /** The blocking part: state of one connection attempt. */
    private static final class Handshake {
        private final SocketChannel socket;
        private final Selector selector;
        private final String where;
        private final long deadline;
        private final Duration timeout;
        private final String user;
        private final String database;
        private final @Nullable String password;
        private final SelectionKey key;
        ByteBuffer in = ByteBuffer.allocate(8192);
        int backendPid;
        private byte type;
        private ByteBuffer body = ByteBuffer.allocate(0);

        Handshake(SocketChannel socket, Selector selector, String where, long deadline, Duration timeout, String user,
                String database, @Nullable String password) throws IOException {
            this.socket = socket;
            this.selector = selector;
            this.where = where;
            this.deadline = deadline;
            this.timeout = timeout;
            this.user = user;
            this.database = database;
            this.password = password;
            this.key = socket.register(selector, 0);
        }

        void connect(InetSocketAddress address) throws IOException {
            if (address.isUnresolved()) {
                throw new OperationalException("cannot connect to PostgreSQL at " + where + ": unknown host");
            }
            if (!socket.connect(address)) {
                key.interestOps(SelectionKey.OP_CONNECT);
                while (!socket.finishConnect()) {
                    await("connect");
                }
            }
            socket.socket().setTcpNoDelay(true);
            socket.socket().setKeepAlive(true);
        }

        void startup() throws IOException {
            Message startup = new Message((char) 0)
                    .int32(PROTOCOL_3_0)
                    .cstring("user").cstring(user)
                    .cstring("database").cstring(database)
                    .cstring("application_name").cstring("kombu4j-listener")
                    .cstring("client_encoding").cstring("UTF8")
                    .byte0();
            send(startup);
            authenticate();
            // After AuthenticationOk: ParameterStatus*, BackendKeyData, then ReadyForQuery (or an ErrorResponse).
            while (true) {
                receive();
                switch (type) {
                    case 'K' -> backendPid = body.getInt();
                    case 'Z' -> {
                        return;
                    }
                    case 'E' -> throw startupError(errorFields(body));
                    default -> {
                        // ParameterStatus, NoticeResponse
                    }
                }
            }
        }

        private void authenticate() throws IOException {
            Scram scram = null;
            while (true) {
                receive();
                if (type == 'E') {
                    throw startupError(errorFields(body));
                }
                if (type != 'R') {
                    throw new OperationalException("protocol error from PostgreSQL at " + where
                            + ": unexpected message '" + (char) type + "' during authentication");
                }
                int code = body.getInt();
                switch (code) {
                    case AUTH_OK -> {
                        if (scram != null && !scram.verified) {
                            throw new AccessRefusedException("PostgreSQL at " + where + " accepted user \"" + user
                                    + "\" without proving it knows the SCRAM password: refusing the connection");
                        }
                        return;
                    }
                    case AUTH_CLEARTEXT -> send(new Message('p').cstring(requirePassword("a cleartext")));
                    case AUTH_MD5 -> {
                        byte[] salt = new byte[4];
                        body.get(salt);
                        send(new Message('p').cstring(md5Password(user, requirePassword("an MD5"), salt)));
                    }
                    case AUTH_SASL -> {
                        List<String> mechanisms = new ArrayList<>();
                        for (String m = cstring(body); !m.isEmpty(); m = cstring(body)) {
                            mechanisms.add(m);
                        }
                        if (!mechanisms.contains("SCRAM-SHA-256")) {
                            throw new ConfigurationException("PostgreSQL at " + where + " offers only SASL "
                                    + mechanisms + " for user \"" + user + "\"; the LISTEN client speaks "
                                    + "SCRAM-SHA-256 without channel binding (no SSL)");
                        }
                        scram = new Scram(requirePassword("a SCRAM-SHA-256"));
                        byte[] first = scram.clientFirst();
                        send(new Message('p').cstring("SCRAM-SHA-256").int32(first.length).bytes(first));
                    }
                    case AUTH_SASL_CONTINUE -> {
                        if (scram == null) {
                            throw protocolError("SASLContinue without SASL");
                        }
                        send(new Message('p').bytes(scram.clientFinal(remaining(body), where)));
                    }
                    case AUTH_SASL_FINAL -> {
                        if (scram == null) {
                            throw protocolError("SASLFinal without SASL");
                        }
                        scram.verifyServerFinal(remaining(body), where, user);
                    }
                    default -> throw new ConfigurationException("PostgreSQL at " + where
                            + " asks user \"" + user + "\" for an authentication method (code " + code
                            + ") the LISTEN client does not speak (it speaks trust, password, md5 and "
                            + "scram-sha-256)");
                }
            }
        }

        void listen(String sql) throws IOException {
            send(new Message('Q').cstring(sql));
            KombuException error = null;
            while (true) {
                receive();
                switch (type) {
                    case 'E' -> {
                        Map<Character, String> fields = errorFields(body);
                        error = new OperationalException("PostgreSQL at " + where + " refused to LISTEN: "
                                + describe(fields));
                    }
                    case 'Z' -> {
                        if (error != null) {
                            throw error;
                        }
                        return;
                    }
                    default -> {
                        // CommandComplete, NoticeResponse, ParameterStatus
                    }
                }
            }
        }

        private String requirePassword(String kind) {
            if (password == null || password.isEmpty()) {
                throw new AccessRefusedException("PostgreSQL at " + where + " asks " + kind + " password of user \""
                        + user + "\" but none was given: put it in the URL");
            }
            return password;
        }

        private KombuException startupError(Map<Character, String> fields) {
            String code = fields.getOrDefault('C', "");
            String text = describe(fields);
            if (code.startsWith("28")) { // invalid_authorization_specification, invalid_password
                return new AccessRefusedException("PostgreSQL at " + where + " refused user \"" + user
                        + "\" (database \"" + database + "\"): " + text);
            }
            if (code.equals("3D000")) { // invalid_catalog_name
                return new AccessRefusedException("PostgreSQL at " + where + ": " + text
                        + " (create the database, or fix its name in the URL)");
            }
            return new OperationalException("PostgreSQL at " + where + " refused the connection of user \"" + user
                    + "\" to database \"" + database + "\": " + text);
        }

        private OperationalException protocolError(String what) {
            return new OperationalException("protocol error from PostgreSQL at " + where + ": " + what);
        }

        private void send(Message message) throws IOException {
            ByteBuffer buffer = message.finish();
            while (buffer.hasRemaining()) {
                if (socket.write(buffer) == 0) {
                    key.interestOps(SelectionKey.OP_WRITE);
                    await("send");
                }
            }
        }

        /** Reads the next whole message into {@link #type} and {@link #body}. */
        private void receive() throws IOException {
            while (true) {
                in.flip();
                if (in.remaining() >= 5) {
                    int length = in.getInt(in.position() + 1);
                    if (length < 4 || length > MAX_MESSAGE_BYTES) {
                        throw protocolError("message '" + (char) in.get(in.position()) + "' of length " + length);
                    }
                    if (in.remaining() >= length + 1) {
                        type = in.get();
                        in.getInt();
                        byte[] bytes = new byte[length - 4];
                        in.get(bytes);
                        body = ByteBuffer.wrap(bytes);
                        in.compact();
                        return;
                    }
                    if (in.capacity() < length + 1) {
                        in = grow(in.compact(), length + 1);
                        in.flip();
                    }
                }
                in.compact();
                int n = socket.read(in);
                if (n < 0) {
                    throw new OperationalException("PostgreSQL at " + where
                            + " closed the connection during startup");
                }
                if (n == 0) {
                    key.interestOps(SelectionKey.OP_READ);
                    await("reply");
                }
            }
        }

        private void await(String what) throws IOException {
            long left = deadline - System.nanoTime();
            // select() may return early with nothing selected: the caller retries its read, write or connect.
            boolean late = left <= 0
                    || selector.select(Math.max(1, left / 1_000_000)) == 0 && deadline - System.nanoTime() <= 0;
            if (late) {
                throw new OperationalException("cannot connect to PostgreSQL at " + where + ": no " + what
                        + " within " + timeout.toMillis() + " ms");
            }
            selector.selectedKeys().clear();
        }
    }

    /** SCRAM-SHA-256 (RFC 5802, RFC 7677) client without channel binding. */
    private static final class Scram {
        private final String password;
        private final String clientFirstBare;
        private String authMessage = "";
        private byte[] saltedPassword = new byte[0];
        boolean verified;

        Scram(String password) {
            this.password = password;
            byte[] nonce = new byte[18];
            new SecureRandom().nextBytes(nonce);
            // PostgreSQL takes the user from the startup message; the SCRAM user name is left empty.
            this.clientFirstBare = "n=,r=" + Base64.getEncoder().encodeToString(nonce);
        }

        byte[] clientFirst() {
            return ("n,," + clientFirstBare).getBytes(StandardCharsets.UTF_8);
        }

        byte[] clientFinal(byte[] serverFirstBytes, String where) {
            String serverFirst = new String(serverFirstBytes, StandardCharsets.UTF_8);
            Map<String, String> attrs = scramAttributes(serverFirst);
            String nonce = attrs.get("r");
            String salt = attrs.get("s");
            String iterations = attrs.get("i");
            String clientNonce = clientFirstBare.substring("n=,r=".length());
            if (nonce == null || salt == null || iterations == null || !nonce.startsWith(clientNonce)
                    || nonce.length() == clientNonce.length()) {
                throw new OperationalException("protocol error from PostgreSQL at " + where
                        + ": bad SCRAM server-first-message");
            }
            int count;
            try {
                count = Integer.parseInt(iterations);
            } catch (NumberFormatException e) {
                count = 0;
            }
            if (count < 1) {
                throw new OperationalException("protocol error from PostgreSQL at " + where
                        + ": bad SCRAM iteration count " + iterations);
            }
            String withoutProof = "c=biws,r=" + nonce; // biws = base64("n,,"): no channel binding
            authMessage = clientFirstBare + "," + serverFirst + "," + withoutProof;
            saltedPassword = pbkdf2(password.getBytes(StandardCharsets.UTF_8), Base64.getDecoder().decode(salt),
                    count);
            byte[] clientKey = hmac(saltedPassword, "Client Key");
            byte[] storedKey = sha256(clientKey);
            byte[] signature = hmac(storedKey, authMessage);
            byte[] proof = new byte[clientKey.length];
            for (int i = 0; i < proof.length; i++) {
                proof[i] = (byte) (clientKey[i] ^ signature[i]);
            }
            return (withoutProof + ",p=" + Base64.getEncoder().encodeToString(proof))
                    .getBytes(StandardCharsets.UTF_8);
        }

        void verifyServerFinal(byte[] serverFinalBytes, String where, String user) {
            Map<String, String> attrs = scramAttributes(new String(serverFinalBytes, StandardCharsets.UTF_8));
            String v = attrs.get("v");
            byte[] expected = hmac(hmac(saltedPassword, "Server Key"), authMessage);
            if (v == null || !MessageDigest.isEqual(expected, Base64.getDecoder().decode(v))) {
                throw new AccessRefusedException("PostgreSQL at " + where + " failed to prove it knows the SCRAM "
                        + "password of user \"" + user + "\": refusing the connection");
            }
            verified = true;
        }

        private static Map<String, String> scramAttributes(String message) {
            Map<String, String> attrs = new HashMap<>();
            for (String part : message.split(",")) {
                int eq = part.indexOf('=');
                if (eq == 1) {
                    attrs.put(part.substring(0, 1), part.substring(2));
                }
            }
            return attrs;
        }

        /** PBKDF2-HMAC-SHA-256 with one output block (SCRAM's Hi). */
        private static byte[] pbkdf2(byte[] password, byte[] salt, int iterations) {
            try {
                Mac mac = Mac.getInstance("HmacSHA256");
                mac.init(new SecretKeySpec(password, "HmacSHA256"));
                mac.update(salt);
                byte[] u = mac.doFinal(new byte[] {0, 0, 0, 1});
                byte[] result = u.clone();
                for (int i = 1; i < iterations; i++) {
                    u = mac.doFinal(u);
                    for (int j = 0; j < result.length; j++) {
                        result[j] ^= u[j];
                    }
                }
                return result;
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("HmacSHA256 is missing from this JDK", e);
            }
        }

        private static byte[] hmac(byte[] key, String data) {
            try {
                Mac mac = Mac.getInstance("HmacSHA256");
                mac.init(new SecretKeySpec(key, "HmacSHA256"));
                return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("HmacSHA256 is missing from this JDK", e);
            }
        }

        private static byte[] sha256(byte[] data) {
            try {
                return MessageDigest.getInstance("SHA-256").digest(data);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("SHA-256 is missing from this JDK", e);
            }
        }
    }

    /** {@code "md5" + md5hex(md5hex(password + user) + salt)}, PostgreSQL's MD5 password response. */
    static String md5Password(String user, String password, byte[] salt) {
        try {
            HexFormat hex = HexFormat.of();
            MessageDigest md5 = MessageDigest.getInstance("MD5");
            String inner = hex.formatHex(md5.digest((password + user).getBytes(StandardCharsets.UTF_8)));
            md5.update(inner.getBytes(StandardCharsets.US_ASCII));
            md5.update(salt);
            return "md5" + hex.formatHex(md5.digest());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("MD5 is missing from this JDK", e);
        }
    }

    // ------------------------------------------------------------------------------------------------------
    // Encoding and decoding helpers

    /** A frontend message under construction: type byte (none for the startup message), length, body. */
    private static final class Message {
        private final char type;
        private ByteBuffer buffer = ByteBuffer.allocate(128);

        Message(char type) {
            this.type = type;
            if (type != 0) {
                buffer.put((byte) type);
            }
            buffer.putInt(0); // the length, filled in by finish()
        }

        Message int32(int value) {
            ensure(4);
            buffer.putInt(value);
            return this;
        }

        Message cstring(String value) {
            byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
            for (byte b : bytes) {
                if (b == 0) {
                    throw new ConfigurationException("PostgreSQL strings cannot contain NUL characters");
                }
            }
            return bytes(bytes).byte0();
        }

        Message bytes(byte[] bytes) {
            ensure(bytes.length);
            buffer.put(bytes);
            return this;
        }

        Message byte0() {
            ensure(1);
            buffer.put((byte) 0);
            return this;
        }

        ByteBuffer finish() {
            int lengthAt = type != 0 ? 1 : 0;
            buffer.putInt(lengthAt, buffer.position() - lengthAt);
            return buffer.flip();
        }

        private void ensure(int bytes) {
            if (buffer.remaining() < bytes) {
                buffer = grow(buffer, Math.max(buffer.capacity() * 2, buffer.position() + bytes));
            }
        }
    }

    /** A copy of {@code buffer} (write mode) with at least {@code capacity} bytes. */
    private static ByteBuffer grow(ByteBuffer buffer, int capacity) {
        ByteBuffer bigger = ByteBuffer.allocate(Math.max(capacity, buffer.capacity()));
        buffer.flip();
        bigger.put(buffer);
        return bigger;
    }

    /** {@code pending} (read mode) followed by {@code more} (read mode), in read mode. */
    private static ByteBuffer append(ByteBuffer pending, ByteBuffer more) {
        if (!pending.hasRemaining()) {
            return more;
        }
        ByteBuffer joined = ByteBuffer.allocate(pending.remaining() + more.remaining());
        joined.put(pending).put(more);
        return joined.flip();
    }

    private static String cstring(ByteBuffer body) {
        int start = body.position();
        int end = start;
        while (end < body.limit() && body.get(end) != 0) {
            end++;
        }
        byte[] bytes = new byte[end - start];
        body.get(bytes);
        if (body.hasRemaining()) {
            body.get(); // the NUL
        }
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static byte[] remaining(ByteBuffer body) {
        byte[] bytes = new byte[body.remaining()];
        body.get(bytes);
        return bytes;
    }

    /** The fields of an ErrorResponse / NoticeResponse body, by field type (S, V, C, M, D, H, ...). */
    private static Map<Character, String> errorFields(ByteBuffer body) {
        Map<Character, String> fields = new HashMap<>();
        while (body.hasRemaining()) {
            byte field = body.get();
            if (field == 0) {
                break;
            }
            fields.put((char) field, cstring(body));
        }
        return fields;
    }

    /** {@code "FATAL 57P01 terminating connection due to administrator command"} (+ detail and hint). */
    private static String describe(Map<Character, String> fields) {
        StringBuilder text = new StringBuilder();
        text.append(fields.getOrDefault('V', fields.getOrDefault('S', "ERROR")));
        if (fields.containsKey('C')) {
            text.append(' ').append(fields.get('C'));
        }
        text.append(' ').append(fields.getOrDefault('M', "(no message)"));
        if (fields.containsKey('D')) {
            text.append(" (").append(fields.get('D')).append(')');
        }
        if (fields.containsKey('H')) {
            text.append(" hint: ").append(fields.get('H'));
        }
        return text.toString();
    }

    private static String describe(IOException e) {
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    private static void checkChannel(String channel) {
        Objects.requireNonNull(channel, "channel");
        int bytes = channel.getBytes(StandardCharsets.UTF_8).length;
        if (bytes == 0 || bytes > MAX_IDENTIFIER_BYTES || channel.indexOf('\0') >= 0) {
            throw new ConfigurationException("cannot LISTEN on channel \"" + channel + "\": PostgreSQL channel names "
                    + "are 1 to " + MAX_IDENTIFIER_BYTES + " bytes without NUL (use a shorter table name)");
        }
    }

    /** A double-quoted identifier: case, spaces and quotes kept. */
    static String quoteIdentifier(String identifier) {
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }
}
