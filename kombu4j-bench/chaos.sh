#!/usr/bin/env bash
# The chaos suite (RELIABILITY.md): for each transport but memory, messages through consumers SIGKILLed at
# random points, a private broker restarted and connections cut by a proxy; exits non-zero on any loss.
#
#   kombu4j-bench/chaos.sh [--full] [--seed N] [--plan MESSAGES,KILLS,RESTARTS,CUTS] [TRANSPORT...]
#
# TRANSPORT: redis rabbitmq postgresql mariadb sqlite (default: all). Without --full, the CI size (3,000
# messages, 3 kills, 1 restart, 3 cuts; about a minute per transport); with --full, 100,000 messages, 12 kills,
# 3 restarts and 12 cuts per transport. One `chaos TRANSPORT: ...` line per transport on stdout, also appended
# to kombu4j-bench/target/chaos/results.txt; the consumers' logs are beside it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
size=ci
seed=() # extra -D options
transports=()
while (($#)); do
    case "$1" in
        --full) size=full ;;
        --seed) seed+=("-Dkombu4j.chaos.seed=$2"); shift ;;
        --plan) seed+=("-Dkombu4j.chaos.plan=$2"); shift ;;
        -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        redis|rabbitmq|postgresql|mariadb|sqlite) transports+=("$1") ;;
        *) echo "chaos.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
    shift
done
list="$(IFS=,; echo "${transports[*]:-}")"
cd "$root"
rm -f kombu4j-bench/target/chaos/results.txt
status=0
CI="${CI:-true}" mvn -B -o -q -pl kombu4j-bench -am verify -Dtest=ChaosSuiteTest -Dsurefire.failIfNoSpecifiedTests=false \
    -Dkombu4j.chaos="$size" -Dkombu4j.chaos.transports="$list" "${seed[@]}" >&2 || status=$?
echo "--- chaos results ($size) ---"
cat kombu4j-bench/target/chaos/results.txt 2>/dev/null || echo "(no results: see the Maven output above)"
exit "$status"
