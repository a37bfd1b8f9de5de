#!/usr/bin/python3
"""The Python Celery peer of `kombu4j bench celery-*` (Debian python3-celery 5.2, run with /usr/bin/python3).

As a Celery app (`python3 -m celery -A celery_bench worker ...`): the tasks the benchmark sends,
  bench.noop()              does nothing, returns None;
  bench.mark(path, label)   appends "label <time.time()>" to path (the harness times a worker by two marks
                            around N no-ops, the same for the Java worker).
As a script:
  celery_bench.py send QUEUE N         N x bench.noop.apply_async(queue=QUEUE), timed; one JSON line
  celery_bench.py call QUEUE N WARM    WARM then N sequential apply_async(...).get(): call-to-result latency
Broker and result backend come from BENCH_BROKER and BENCH_BACKEND (empty: no backend), result_expires from
BENCH_RESULT_EXPIRES (seconds). Results this script waited for are deleted (forget) after each call, untimed, where
the backend stores them (rpc:// does not: get() took the reply).
"""
import json
import os
import resource
import sys
import time

from celery import Celery

app = Celery('celery_bench', broker=os.environ.get('BENCH_BROKER', 'memory://'),
             backend=os.environ.get('BENCH_BACKEND') or None)
app.conf.update(task_serializer='json', result_serializer='json', accept_content=['json'],
                result_expires=int(os.environ.get('BENCH_RESULT_EXPIRES', '300')),
                # Nothing but the task queue: no pidbox (remote control) queues or event messages to clean up.
                worker_enable_remote_control=False, worker_send_task_events=False)


@app.task(name='bench.noop')
def noop(*args, **kwargs):
    return None


@app.task(name='bench.mark')
def mark(path, label):
    with open(path, 'a') as f:
        f.write('%s %.6f\n' % (label, time.time()))


def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def pct(sorted_values, p):
    """Nearest rank, as the bench-peers scripts."""
    if not sorted_values:
        return None
    k = max(0, min(len(sorted_values) - 1, int(round(p / 100.0 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[k]


def main():
    mode, queue, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    out = {'system': 'celery-py', 'transport': app.connection().transport_cls, 'messages': n}
    if mode == 'send':
        noop.apply_async(queue=queue)  # connects and declares the queue, untimed
        c0, t0 = cpu(), time.perf_counter()
        for _ in range(n):
            noop.apply_async(queue=queue)
        dt, c = time.perf_counter() - t0, cpu() - c0
        out.update(scenario='celery-send', seconds=dt, msgs_per_s=n / dt, cpu_s=c, cpu_s_per_1k=c / n * 1000,
                   sent=n + 1)
    elif mode == 'call':
        def forget(r):
            try:
                r.forget()
            except NotImplementedError:  # rpc://: Celery's RPCBackend keeps nothing to forget
                pass

        warm = int(sys.argv[4])
        for i in range(warm):  # the first waits for the worker to come up
            r = noop.apply_async(queue=queue)
            r.get(timeout=60 if i == 0 else 10)
            forget(r)
        lat = []
        c0 = cpu()
        for _ in range(n):
            t = time.perf_counter()
            r = noop.apply_async(queue=queue)
            r.get(timeout=10)
            lat.append(time.perf_counter() - t)
            forget(r)
        c = cpu() - c0
        lat.sort()
        total = sum(lat)
        out.update(scenario='celery-latency', seconds=total, msgs_per_s=n / total, cpu_s=c,
                   cpu_s_per_1k=c / n * 1000, p50_ms=pct(lat, 50) * 1000, p90_ms=pct(lat, 90) * 1000,
                   p99_ms=pct(lat, 99) * 1000, max_ms=lat[-1] * 1000)
    else:
        print('celery_bench.py: unknown mode %r' % mode, file=sys.stderr)
        sys.exit(2)
    print(json.dumps(out), flush=True)


if __name__ == '__main__':
    main()
