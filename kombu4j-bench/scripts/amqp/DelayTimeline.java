import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where delayed messages are while {@code kombu4j bench delayed} runs on RabbitMQ: every ~5 ms, the depth of each
 * {@code celery_delayed_N} level, each last-hop queue {@code kombu4j.delayed.*} (printed as {@code hop<suffix>}) and
 * the bench's queue ({@code DEST}), one line per change, stamped with the wall clock's ms modulo 100 s. The queue
 * names come from the management API (127.0.0.1:15672, guest) every 300 ms, the depths from passive declares. It
 * loads the broker itself (a few thousand declares a second), so the bench's figures while it runs are not the
 * bench's figures. Creates nothing.
 *
 * <pre>java -cp kombu4j-cli/target/kombu4j.jar kombu4j-bench/scripts/amqp/DelayTimeline.java DURATION_MS</pre>
 */
public class DelayTimeline {
    public static void main(String[] a) throws Exception {
        long duration = Long.parseLong(a[0]);
        ConnectionFactory f = new ConnectionFactory();
        f.setUri("amqp://guest:guest@127.0.0.1:5672");
        HttpClient http = HttpClient.newHttpClient();
        String auth = Base64.getEncoder().encodeToString("guest:guest".getBytes());
        Pattern name = Pattern.compile("\"name\":\"([^\"]+)\"");
        try (Connection c = f.newConnection()) {
            Channel ch = c.createChannel();
            List<String> names = new ArrayList<>();
            Map<String, Integer> last = new HashMap<>();
            long t0 = System.currentTimeMillis();
            long nextList = 0;
            while (System.currentTimeMillis() - t0 < duration) {
                long now = System.currentTimeMillis();
                if (now >= nextList) {
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:15672/api/queues/%2F?columns=name"))
                            .header("Authorization", "Basic " + auth).build(), HttpResponse.BodyHandlers.ofString());
                    Matcher m = name.matcher(r.body());
                    names.clear();
                    while (m.find()) {
                        String n = m.group(1);
                        if (n.startsWith("celery_delayed_") || n.startsWith("kombu4j.delayed.")
                                || n.startsWith("bench.k4j")) {
                            names.add(n);
                        }
                    }
                    nextList = now + 300;
                }
                StringBuilder sb = new StringBuilder();
                for (String n : names) {
                    int count;
                    try {
                        count = ch.queueDeclarePassive(n).getMessageCount();
                    } catch (Exception e) {
                        if (!ch.isOpen()) {
                            ch = c.createChannel(); // the queue went away (404 closes the channel)
                        }
                        continue;
                    }
                    Integer prev = last.put(n, count);
                    if (prev == null ? count != 0 : prev != count) {
                        sb.append(' ').append(n.replaceAll("kombu4j\\.delayed\\.k4j[0-9a-f]+", "hop")
                                .replaceAll("bench\\.k4j.*", "DEST")).append('=').append(count);
                    }
                }
                if (sb.length() > 0) {
                    System.out.println((now % 100_000) + sb.toString());
                }
                Thread.sleep(5);
            }
        }
    }
}
