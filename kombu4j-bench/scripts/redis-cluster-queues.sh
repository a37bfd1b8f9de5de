#!/usr/bin/env bash
# A private Redis Cluster of 3 masters (no replicas) on loopback, torn down after, and one `kombu4j bench`
# run of SCENARIO (idle or latency) with QUEUES queues on redis+cluster://...?layout=queue (issue 18: the
# queues spread over the masters by their slots, served by one command and one event connection per master).
# Usage: kombu4j-bench/scripts/redis-cluster-queues.sh SCENARIO QUEUES SECONDS [JAR]
set -euo pipefail
scenario=${1:-idle}; queues=${2:-300}; secs=${3:-10}
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
jar=${4:-$root/kombu4j-cli/target/kombu4j.jar}
tmp="$(mktemp -d)"; pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
nodes=()
for i in 1 2 3; do
    p=$(free_port); nodes+=("$p"); mkdir -p "$tmp/n$i"
    redis-server --port "$p" --bind 127.0.0.1 --save "" --appendonly no --loglevel warning --dir "$tmp/n$i" \
        --cluster-enabled yes --cluster-port "$(free_port)" --cluster-node-timeout 1000 >/dev/null 2>&1 &
    pids+=($!)
    for _ in $(seq 100); do redis-cli -p "$p" ping >/dev/null 2>&1 && break; sleep 0.05; done
done
redis-cli --cluster create $(printf '127.0.0.1:%s ' "${nodes[@]}") --cluster-replicas 0 --cluster-yes >/dev/null
# Every node must agree, not only the first: a run once failed with CLUSTERDOWN at its first command.
for n in "${nodes[@]}"; do until redis-cli -p "$n" cluster info | grep -q cluster_state:ok; do sleep 0.1; done; done
java -Xms1g -jar "$jar" bench "$scenario" --url "redis+cluster://127.0.0.1:${nodes[0]}?layout=queue" --queues "$queues" \
    --seconds "$secs" --no-peers 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
