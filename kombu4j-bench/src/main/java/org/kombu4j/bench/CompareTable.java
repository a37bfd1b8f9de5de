package org.kombu4j.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The {@code --compare} summary: a Markdown table of medians per (scenario, system) over the
 * repetitions, with kombu4j's ratio to each peer. Ratios are kombu4j ÷ peer for both columns:
 * above 1 is better for msgs/s, below 1 is better for CPU per 1,000 messages (for {@code idle},
 * where no message moves, the CPU ratio compares CPU seconds over the window; for {@code idle} and {@code delayed}
 * there is no msgs/s ratio: the rate is set by the window or the delay).
 */
final class CompareTable {
    private CompareTable() {
    }

    static String render(List<Measurement> all) {
        Map<String, Map<String, List<Measurement>>> byScenario = new LinkedHashMap<>();
        for (Measurement m : all) {
            byScenario.computeIfAbsent(m.scenario(), k -> new LinkedHashMap<>())
                    .computeIfAbsent(m.system(), k -> new ArrayList<>()).add(m);
        }
        StringBuilder sb = new StringBuilder();
        sb.append("| scenario | system | runs | errors | msgs/s median (min–max) | cpu s/1k msgs | cpu s | p50 ms | p99 ms"
                + " | msgs/s kombu4j ÷ system | cpu kombu4j ÷ system |\n");
        sb.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Map.Entry<String, Map<String, List<Measurement>>> sc : byScenario.entrySet()) {
            boolean idle = sc.getKey().equals(Scenario.IDLE.cliName());
            // delayed: the rate follows from the delay, not from the system; its p99 column is what compares.
            boolean noRate = idle || sc.getKey().equals(Scenario.DELAYED.cliName());
            List<Measurement> own = sc.getValue().getOrDefault(Measurement.KOMBU4J, List.of());
            Double ownRate = median(own, "msgs_per_s");
            Double ownCpu = median(own, idle ? "cpu_s" : "cpu_s_per_1k");
            for (Map.Entry<String, List<Measurement>> sys : sc.getValue().entrySet()) {
                List<Measurement> ms = sys.getValue();
                boolean self = sys.getKey().equals(Measurement.KOMBU4J);
                int errors = ms.stream().mapToInt(Measurement::errors).sum();
                Double rate = median(ms, "msgs_per_s");
                Double cpu = median(ms, idle ? "cpu_s" : "cpu_s_per_1k");
                sb.append("| ").append(sc.getKey()).append(" | ").append(sys.getKey()).append(" | ").append(ms.size())
                        .append(" | ").append(errors).append(" | ").append(range(ms, "msgs_per_s", 0))
                        .append(" | ").append(fmt(median(ms, "cpu_s_per_1k"), 4))
                        .append(" | ").append(fmt(median(ms, "cpu_s"), 3))
                        .append(" | ").append(fmt(median(ms, "p50_ms"), 3))
                        .append(" | ").append(fmt(median(ms, "p99_ms"), 3))
                        .append(" | ").append(self || noRate ? "—" : ratio(ownRate, rate))
                        .append(" | ").append(self ? "—" : ratio(ownCpu, cpu)).append(" |\n");
            }
        }
        return sb.toString();
    }

    static @Nullable Double median(List<Measurement> ms, String field) {
        List<Double> vals = values(ms, field);
        if (vals.isEmpty()) {
            return null;
        }
        int n = vals.size();
        return n % 2 == 1 ? vals.get(n / 2) : (vals.get(n / 2 - 1) + vals.get(n / 2)) / 2;
    }

    private static List<Double> values(List<Measurement> ms, String field) {
        List<Double> vals = new ArrayList<>();
        for (Measurement m : ms) {
            Double v = m.number(field);
            if (v != null) {
                vals.add(v);
            }
        }
        Collections.sort(vals);
        return vals;
    }

    private static String range(List<Measurement> ms, String field, int decimals) {
        List<Double> vals = values(ms, field);
        if (vals.isEmpty()) {
            return "—";
        }
        String med = fmt(median(ms, field), decimals);
        if (vals.size() == 1) {
            return med;
        }
        return med + " (" + fmt(vals.get(0), decimals) + "–" + fmt(vals.get(vals.size() - 1), decimals) + ")";
    }

    private static String ratio(@Nullable Double a, @Nullable Double b) {
        if (a == null || b == null || b == 0) {
            return "—";
        }
        double r = a / b;
        return String.format(Locale.ROOT, r >= 10 ? "%.1f×" : "%.2f×", r);
    }

    private static String fmt(@Nullable Double v, int decimals) {
        if (v == null) {
            return "—";
        }
        return String.format(Locale.ROOT, "%,." + decimals + "f", Objects.requireNonNull(v));
    }
}
