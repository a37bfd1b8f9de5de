#!/usr/bin/env bash
# compare-builds.sh OLD_JAR NEW_JAR: measures two builds of kombu4j in one invocation, round by round,
# and prints a Markdown table of medians and new ÷ old ratios. See BENCHMARKS.md, "Comparing two builds".
#
# For each scenario and each round it starts OLD's JVM, then NEW's (NEW first in even rounds, so a drift of
# the machine hits both alike). Each JVM runs `bench SCENARIO ... --repeat W+M --no-peers`: its first W rounds
# warm the JIT and are dropped, the next M are kept. Only `bench`'s command line is used, so any two builds
# that have it can be compared (the CLI jar kombu4j-cli/target/kombu4j.jar, or the bench module's -all jar).
#
# Environment:
#   ROUNDS=3          launches per build and scenario (rounds of the comparison)
#   SCALE=1           multiplies every message count and latency duration (0.1 for a quick check)
#   ONLY="a b"        run only these scenario names (see the table below)
#   REDIS_URL         default redis://127.0.0.1:6379/10
#   OUT               where the JSON lines go (default /tmp/kombu4j-compare-<time>.jsonl; stderr in OUT.log)
#   KOMBU4J_JAVA_OPTS replaces the JVM flags (default, as ./kombu4j bench: -Xms2g and, where the kernel
#                     offers transparent huge pages, -XX:+UseTransparentHugePages)
set -euo pipefail

usage() {
    echo "usage: $0 OLD_JAR NEW_JAR   (env: ROUNDS, SCALE, ONLY, REDIS_URL, OUT, KOMBU4J_JAVA_OPTS)" >&2
    exit 2
}
[[ $# -eq 2 ]] || usage
old_jar="$1"
new_jar="$2"
for j in "$old_jar" "$new_jar"; do
    [[ -f "$j" ]] || { echo "$0: no such jar: $j" >&2; exit 2; }
done
rounds="${ROUNDS:-3}"
scale="${SCALE:-1}"
redis_url="${REDIS_URL:-redis://127.0.0.1:6379/10}"
out="${OUT:-/tmp/kombu4j-compare-$(date -u +%Y%m%dT%H%M%SZ).jsonl}"

# The scenarios issue 13 asks for, with the flags BENCHMARKS.md's runs use.
# name | bench arguments (N = messages, S = latency seconds, both scaled) | warm-up rounds W | kept rounds M
#      | launches per build (R = $ROUNDS)
# 10,000 queues: a build whose harness deletes the queues before their exchange (main before issue 13) spends
# 1.5–3 minutes per round on that here (an SSCAN of the exchange's 10,000 bindings per queue), so this scenario
# runs one launch per build, of one warm-up and one kept round.
scenarios=(
    "redis-publish|publish --url $redis_url --messages N20000 --prefetch 100|3|2|R"
    "redis-publish-pipelined|publish-async --url $redis_url --messages N100000 --prefetch 100|3|2|R"
    "redis-consume-ack|consume-ack --url $redis_url --messages N20000 --prefetch 100|3|2|R"
    "redis-latency-1q|latency --url $redis_url --rate 200 --seconds S5 --queues 1|3|1|R"
    "redis-latency-10000q|latency --url $redis_url --rate 200 --seconds S10 --queues 10000|1|1|1"
    "memory-roundtrip-1k|roundtrip --url memory:// --messages N300000 --body-bytes 1024|3|2|R"
)

scaled() { # N20000 → 20000 × SCALE (at least 100); S5 → 5 × SCALE seconds (at least 1); other words as given
    local w="$1"
    case "$w" in
        N[0-9]*) awk -v n="${w#N}" -v s="$scale" 'BEGIN { v = int(n * s); print (v < 100 ? 100 : v) }' ;;
        S[0-9]*) awk -v n="${w#S}" -v s="$scale" 'BEGIN { v = n * s; print (v < 1 ? 1 : v) }' ;;
        *) printf '%s\n' "$w" ;;
    esac
}

java_opts="${KOMBU4J_JAVA_OPTS-}"
if [[ -z "${KOMBU4J_JAVA_OPTS+set}" ]]; then
    java_opts="-Xms2g"
    if grep -qE '\[(always|madvise)\]' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null; then
        java_opts="$java_opts -XX:+UseTransparentHugePages"
    fi
fi

# The CLI jar takes `bench` as a subcommand; the bench module's -all jar is the bench itself.
bench_prefix() {
    if unzip -p "$1" META-INF/MANIFEST.MF 2>/dev/null | tr -d '\r' | grep -q '^Main-Class: org.kombu4j.bench.Bench$'; then
        echo ""
    else
        echo "bench"
    fi
}
old_prefix="$(bench_prefix "$old_jar")"
new_prefix="$(bench_prefix "$new_jar")"

# One benchmark at a time on this machine: hold the shared lock for the whole comparison, so that no
# other run falls between an old and a new round.
exec 9>>/tmp/kombu4j-bench.lock
echo "[compare] waiting for /tmp/kombu4j-bench.lock" >&2
flock 9
: >"$out"
: >"$out.log"
started=$(date +%s)
echo "[compare] old=$old_jar new=$new_jar rounds=$rounds scale=$scale jvm='$java_opts' → $out" >&2

run_one() { # build-label jar prefix scenario-name warm keep args...
    local label="$1" jar="$2" prefix="$3" name="$4" warm="$5" keep="$6"
    shift 6
    local repeat=$((warm + keep)) rc=0 lines
    echo "[compare] $(date -u +%T) $name $label: java -jar $jar $prefix $* --repeat $repeat --no-peers" >&2
    # shellcheck disable=SC2086  # java_opts and prefix are word lists
    lines="$(java $java_opts -jar "$jar" $prefix "$@" --repeat "$repeat" --no-peers 2>>"$out.log")" || rc=$?
    printf '%s\n' "$lines" | grep '^{' | jq -c --arg b "$label" --arg s "$name" --argjson w "$warm" --argjson rc "$rc" \
        'select(.round > $w) + {build: $b, compare: $s, exit_code: $rc}' >>"$out" || true
    if [[ $rc -ne 0 ]]; then
        echo "[compare] $name $label exited $rc" >&2
    fi
}

for spec in "${scenarios[@]}"; do
    IFS='|' read -r name argline warm keep launches <<<"$spec"
    [[ "$launches" == R ]] && launches="$rounds"
    if [[ -n "${ONLY:-}" && " $ONLY " != *" $name "* ]]; then
        continue
    fi
    args=()
    for w in $argline; do
        args+=("$(scaled "$w")")
    done
    for ((r = 1; r <= launches; r++)); do
        if ((r % 2 == 1)); then
            run_one old "$old_jar" "$old_prefix" "$name" "$warm" "$keep" "${args[@]}"
            run_one new "$new_jar" "$new_prefix" "$name" "$warm" "$keep" "${args[@]}"
        else
            run_one new "$new_jar" "$new_prefix" "$name" "$warm" "$keep" "${args[@]}"
            run_one old "$old_jar" "$old_prefix" "$name" "$warm" "$keep" "${args[@]}"
        fi
    done
done
flock -u 9
echo "[compare] done in $(($(date +%s) - started)) s; JSON lines in $out, the runs' stderr in $out.log" >&2

# Medians (min–max) per build and new ÷ old. Throughput: msgs/s and CPU s per 1,000 messages;
# latency: p50 and p99 (medians of the rounds' percentiles).
python3 - "$out" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
order = []
for r in rows:
    if r["compare"] not in order:
        order.append(r["compare"])
def fmt(v):
    return "—" if v is None else (f"{v:,.0f}" if v >= 100 else f"{v:.4g}")
def cell(vals):
    if not vals:
        return "—", None
    m = statistics.median(vals)
    return f"{fmt(m)} ({fmt(min(vals))}–{fmt(max(vals))})", m
print("| scenario | metric | old median (min–max) | new median (min–max) | new ÷ old | rounds old/new | missing/dup/errors old; new |")
print("|---|---|---:|---:|---:|---:|---|")
for name in order:
    by = {b: [r for r in rows if r["compare"] == name and r["build"] == b] for b in ("old", "new")}
    latency = any(r.get("scenario") == "latency" for r in by["old"] + by["new"])
    metrics = ["p50_ms", "p99_ms", "cpu_s_per_1k"] if latency else ["msgs_per_s", "cpu_s_per_1k"]
    def health(rs):
        return "%d/%d/%d" % tuple(sum(int(r.get(k) or 0) for r in rs) for k in ("missing", "duplicates", "errors"))
    for k in metrics:
        o_txt, o = cell([r[k] for r in by["old"] if r.get(k) is not None and not r.get("errors")])
        n_txt, n = cell([r[k] for r in by["new"] if r.get(k) is not None and not r.get("errors")])
        ratio = f"{n / o:.2f}×" if o and n is not None else "—"
        print(f"| {name} | {k} | {o_txt} | {n_txt} | {ratio} | {len(by['old'])}/{len(by['new'])} | {health(by['old'])}; {health(by['new'])} |")
PY
