package org.kombu4j.bench;

import java.io.PrintStream;
import java.util.List;

/**
 * Another system measured in the same run as kombu4j, on the same broker, for comparison: Python
 * Kombu today; raw Redis ({@code redis_raw.py}, Lettuce) and the raw RabbitMQ Java client are meant
 * to join {@link Peers#forUrl} when their transports land.
 *
 * <p>A peer prints its own measurements; {@link #run} returns them normalized to
 * {@link Measurement}'s field names. A peer must stay within the deadline it is given, touch only
 * entities named {@code bench.*}, and clean them up.
 */
public interface Peer {
    /** The {@code system} name its lines carry, e.g. {@code kombu-py}. */
    String name();

    /**
     * Whether it runs inside this JVM (a raw client library). Such a peer shares the JIT with kombu4j, so
     * {@code --warmup} warms it up too: otherwise whichever system runs first in a round pays for
     * compiling code both use (Jackson, the broker client).
     */
    default boolean inProcess() {
        return false;
    }

    /** Whether it can measure {@code scenario} against {@code url}; if not, the harness skips it quietly. */
    boolean supports(Scenario scenario, String url);

    /**
     * Measures {@code scenario} once.
     *
     * @param round the repetition number, copied into each measurement
     * @param err where progress and diagnostics go
     * @return one or more measurements; a failed run returns one with {@code errors > 0}
     */
    List<Measurement> run(Scenario scenario, Settings settings, int round, Deadline deadline, PrintStream err);
}
