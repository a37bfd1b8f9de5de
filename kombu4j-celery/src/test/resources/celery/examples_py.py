"""The Python side of the Celery interop tests: the same four tasks as kombu4j's ExampleTasks.

Broker and backend come from the environment (CELERY_BROKER, CELERY_BACKEND), so one module serves every
combination the tests run.
"""
import os
import time

from celery import Celery

app = Celery('examples', broker=os.environ['CELERY_BROKER'], backend=os.environ.get('CELERY_BACKEND') or None)
app.conf.update(task_serializer='json', result_serializer='json', accept_content=['json'],
                worker_hijack_root_logger=False, broker_connection_retry_on_startup=True)


@app.task(name='examples.add')
def add(x, y):
    return x + y


@app.task(name='examples.echo')
def echo(*args, **kwargs):
    return {'args': list(args), 'kwargs': kwargs}


@app.task(name='examples.fail')
def fail(message):
    raise ValueError(message)


@app.task(name='examples.sleep')
def sleep(seconds):
    time.sleep(seconds)
    return seconds


@app.task(name='examples.now')
def now():
    return time.time()
