"""Calls a task from Python Celery and prints one JSON line: {"result": ...} or {"exc_type": ..., "exc_message": ...}.

argv: broker backend queue task args-json kwargs-json [countdown]
A task "chain:a,b,..." sends Celery's chain(a.s(*args), b.s(*more[0]), ...) where kwargs-json is the list `more`
of the later steps' extra arguments.
A task "chord:h1,h2,...>body" sends Celery's chord([h1.s(*a1), h2.s(*a2), ...])(body.s()) where args-json is the
list of the header tasks' argument lists.
"""
import json
import sys
import time

from celery import Celery, chain, chord

broker, backend, queue, task, args, kwargs = sys.argv[1:7]
countdown = float(sys.argv[7]) if len(sys.argv) > 7 else None
app = Celery('caller', broker=broker, backend=backend)
app.conf.update(task_serializer='json', result_serializer='json', accept_content=['json'])
start = time.time()
if task.startswith('chain:'):
    names = task[len('chain:'):].split(',')
    more = json.loads(kwargs)
    steps = [app.signature(names[0], args=json.loads(args), queue=queue)]
    steps += [app.signature(n, args=a, queue=queue) for n, a in zip(names[1:], more)]
    r = chain(*steps).apply_async()
elif task.startswith('chord:'):
    names, body = task[len('chord:'):].split('>')
    header = [app.signature(n, args=a, queue=queue) for n, a in zip(names.split(','), json.loads(args))]
    r = chord(header)(app.signature(body, queue=queue))
else:
    r = app.send_task(task, args=json.loads(args), kwargs=json.loads(kwargs), queue=queue, countdown=countdown)
try:
    value = r.get(timeout=30)
    print(json.dumps({'id': r.id, 'result': value, 'elapsed': time.time() - start}))
except Exception as e:  # the task's exception, rebuilt by Celery from exc_type/exc_module/exc_message
    print(json.dumps({'id': r.id, 'exc_type': type(e).__name__, 'exc_module': type(e).__module__,
                      'exc_message': str(e), 'elapsed': time.time() - start}))
