#!/usr/bin/env bash
# Redis Cluster of 3 masters vs one redis-server, in the same run, on this machine: K namespaces (one per
# master on the cluster: key_tags chosen by CLUSTER KEYSLOT), one `kombu4j bench` JVM per namespace, all
# running at once; the same K processes then run against the single server (same key_tags as
# global_keyprefix, so the keys are the same). Rounds alternate which goes first. Prints every JSON line,
# each round's summed msgs/s, and the median sums and their ratio.
# With LAYOUT=queue the cluster URL is ?layout=queue (a namespace per queue): each process's queue (a random
# name, so a random master) is its own namespace; the node side is unchanged.
# Usage: [LAYOUT=queue] kombu4j-bench/scripts/redis-cluster-vs-node.sh SCENARIO MESSAGES [ROUNDS]   (private servers, torn down after)
set -euo pipefail
scenario=${1:-publish}; messages=${2:-20000}; rounds=${3:-3}
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
jar="$root/kombu4j-cli/target/kombu4j.jar"
[[ -f "$jar" ]] || "$root/kombu4j" --version >/dev/null
tmp="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
start() { # port dir extra...
    local port=$1 dir=$2; shift 2; mkdir -p "$dir"
    redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --daemonize no --loglevel warning \
        --dir "$dir" "$@" >/dev/null 2>&1 &
    pids+=($!)
    for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && return; sleep 0.05; done
    echo "redis-server on $port did not start" >&2; exit 1
}
nodes=()
for i in 1 2 3; do
    p=$(free_port); nodes+=("$p")
    start "$p" "$tmp/n$i" --cluster-enabled yes --cluster-port "$(free_port)" --cluster-node-timeout 1000
done
single=$(free_port); start "$single" "$tmp/single"
redis-cli --cluster create $(printf '127.0.0.1:%s ' "${nodes[@]}") --cluster-replicas 0 --cluster-yes >/dev/null
until redis-cli -p "${nodes[0]}" cluster info | grep -q cluster_state:ok; do sleep 0.1; done
# One tag per master: the master of a slot from CLUSTER NODES (myself or another, "master" flag).
master_of() { redis-cli -p "${nodes[0]}" cluster nodes | awk -v s="$1" '$3 ~ /master/ { for (i = 9; i <= NF; i++) {
    split($i, r, "-"); if (r[2] == "") r[2] = r[1]; if (s >= r[1] && s <= r[2]) { print $2; exit } } }'; }
declare -A seen; tags=()
for i in $(seq 0 200); do
    t="bench$i"; m=$(master_of "$(redis-cli -p "${nodes[0]}" cluster keyslot "{$t}")")
    if [[ -z "${seen[$m]:-}" ]]; then seen[$m]=1; tags+=("$t"); fi
    [[ ${#tags[@]} -eq 3 ]] && break
done
echo "# tags, one per master: ${tags[*]}; cluster ${nodes[*]}; single $single" >&2
run() { # label url-template (TAG replaced)
    local label=$1 tmpl=$2 out=()
    for t in "${tags[@]}"; do
        java -Xms1g -jar "$jar" bench "$scenario" --url "${tmpl//TAG/$t}" --messages "$messages" --repeat 1 \
            --no-peers > "$tmp/$label.$t.json" 2>"$tmp/$label.$t.err" &
        out+=($!)
    done
    for p in "${out[@]}"; do wait "$p" || { echo "bench failed:" >&2; cat "$tmp"/$label.*.err >&2; exit 1; }; done
    cat "$tmp"/$label.*.json
    python3 - "$label" "$tmp"/$label.*.json >> "$tmp/sums" <<'PY'
import json, sys
label, files = sys.argv[1], sys.argv[2:]
rates = [json.loads(l)["msgs_per_s"] for f in files for l in open(f) if l.startswith("{")]
errs = sum(json.loads(l)["missing"] + json.loads(l)["errors"] for f in files for l in open(f) if l.startswith("{"))
print(label, round(sum(rates)), len(rates), errs)
PY
    tail -1 "$tmp/sums"
}
node_url="redis://127.0.0.1:$single/0?global_keyprefix={TAG}"
cluster_url="redis+cluster://127.0.0.1:${nodes[0]}?key_tag=TAG"
[[ "${LAYOUT:-namespace}" == queue ]] && cluster_url="redis+cluster://127.0.0.1:${nodes[0]}?layout=queue"
for r in $(seq "$rounds"); do
    if (( r % 2 )); then run node "$node_url"; run cluster "$cluster_url"; else run cluster "$cluster_url"; run node "$node_url"; fi
done
python3 - "$tmp/sums" "$scenario" "$messages" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
med = {k: statistics.median(int(r[1]) for r in rows if r[0] == k) for k in ("node", "cluster")}
each = {k: [int(r[1]) for r in rows if r[0] == k] for k in med}
print(f"{sys.argv[2]} x3 processes x {sys.argv[3]} msgs: node sums {each['node']} median {med['node']}; "
      f"cluster sums {each['cluster']} median {med['cluster']}; cluster/node = {med['cluster'] / med['node']:.2f}; "
      f"missing+errors {sum(int(r[3]) for r in rows)}")
PY
