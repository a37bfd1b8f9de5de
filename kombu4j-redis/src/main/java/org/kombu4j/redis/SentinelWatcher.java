package org.kombu4j.redis;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows {@code +switch-master} on one sentinel at a time (the next one when it is lost) for as long as a
 * transport is connected, and reports a switch of the watched master to an address other than the one in use.
 *
 * <p>Why, when a dead master drops its connections anyway: a failover ordered from a sentinel (or a master
 * cut off by the network) leaves the old master alive, and a master until Sentinel gets round to demoting it
 * — seconds later — so without this, clients would go on writing to it (and WAIT would fail). On a switch
 * the transport drops its connections, which its users see as a lost connection and reconnect to the new master.
 *
 * <p>A plain blocking socket on its own daemon thread, speaking RESP2: pub/sub is all it does.
 */
final class SentinelWatcher implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(SentinelWatcher.class);
    private static final long RETRY_MILLIS = 1000;

    private final SentinelConfig config;
    private final String currentAddress;
    private final Consumer<String> onSwitch;
    private final Thread thread;
    private volatile boolean stopped;
    private volatile @Nullable Socket socket;

    /**
     * @param currentAddress {@code host port} of the master in use
     * @param onSwitch told the new {@code host port}, once
     */
    SentinelWatcher(SentinelConfig config, String currentAddress, Consumer<String> onSwitch) {
        this.config = config;
        this.currentAddress = currentAddress;
        this.onSwitch = onSwitch;
        this.thread = new Thread(this, "kombu4j-sentinel-watch");
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    void stop() {
        stopped = true;
        Socket s = socket;
        if (s != null) {
            try {
                s.close(); // ends the blocking read
            } catch (IOException e) {
                // closing anyway
            }
        }
    }

    @Override
    public void run() {
        int next = 0;
        while (!stopped) {
            SentinelConfig.HostPort s = config.sentinels().get(next++ % config.sentinels().size());
            try (Socket sock = new Socket()) {
                socket = sock;
                if (stopped) {
                    return;
                }
                sock.connect(new InetSocketAddress(s.host(), s.port()), (int) config.sentinelTimeout().toMillis());
                sock.setSoTimeout((int) config.sentinelTimeout().toMillis());
                sock.setKeepAlive(true);
                OutputStream out = sock.getOutputStream();
                InputStream in = new BufferedInputStream(sock.getInputStream());
                if (config.sentinelPassword() != null) {
                    out.write(config.sentinelUser() != null
                            ? command("AUTH", config.sentinelUser(), config.sentinelPassword())
                            : command("AUTH", config.sentinelPassword()));
                    List<String> r = read(in);
                    if (!r.equals(List.of("OK"))) {
                        throw new IOException("AUTH refused");
                    }
                }
                out.write(command("SUBSCRIBE", "+switch-master"));
                out.flush();
                read(in); // subscribe, +switch-master, 1
                sock.setSoTimeout(0); // events are rare; a lost sentinel ends the read with an error
                while (!stopped) {
                    List<String> m = read(in);
                    if (m.size() == 3 && m.get(0).equals("message")) {
                        // <name> <old-ip> <old-port> <new-ip> <new-port>
                        String[] f = m.get(2).split(" ");
                        if (f.length == 5 && f[0].equals(config.masterName())) {
                            String now = f[3] + " " + f[4];
                            if (!now.equals(currentAddress)) {
                                log.info("Redis Sentinel {}: master '{}' switched to {}:{}", s, f[0], f[3], f[4]);
                                stopped = true;
                                onSwitch.accept(now);
                                return;
                            }
                        }
                    }
                }
            } catch (IOException | RuntimeException e) {
                if (stopped) {
                    return;
                }
                log.debug("watching +switch-master on Redis Sentinel {} failed: {}", s, e.toString());
                try {
                    Thread.sleep(RETRY_MILLIS);
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }

    private static byte[] command(String... args) {
        StringBuilder sb = new StringBuilder("*").append(args.length).append("\r\n");
        for (String a : args) {
            sb.append('$').append(a.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(a).append("\r\n");
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** One reply, flattened to strings; an error reply is an IOException. */
    private static List<String> read(InputStream in) throws IOException {
        List<String> out = new ArrayList<>();
        read(in, out);
        return out;
    }

    private static void read(InputStream in, List<String> into) throws IOException {
        String line = line(in);
        if (line.isEmpty()) {
            throw new IOException("empty reply line");
        }
        String rest = line.substring(1);
        switch (line.charAt(0)) {
            case '+', ':' -> into.add(rest);
            case '-' -> throw new IOException("sentinel replied " + rest);
            case '$' -> {
                int n = Integer.parseInt(rest);
                if (n >= 0) {
                    byte[] b = in.readNBytes(n + 2);
                    if (b.length < n + 2) {
                        throw new IOException("connection closed");
                    }
                    into.add(new String(b, 0, n, StandardCharsets.UTF_8));
                }
            }
            case '*' -> {
                int n = Integer.parseInt(rest);
                for (int i = 0; i < n; i++) {
                    read(in, into);
                }
            }
            default -> throw new IOException("unexpected reply from sentinel");
        }
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) != '\n') {
            if (c < 0) {
                throw new IOException("connection closed");
            }
            if (c != '\r') {
                sb.append((char) c);
            }
        }
        return sb.toString();
    }
}
