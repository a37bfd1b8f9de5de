#!/usr/bin/env python3
"""Python Kombu's SQLAlchemy transport as a peer for kombu4j's SQL interop tests.

usage: sql_peer.py publish URL SPEC   publishes SPEC's messages; prints {"published": N}
       sql_peer.py consume URL SPEC   consumes up to SPEC.count messages (acking each); prints READY once
                                      consuming, then the messages as one JSON list
SPEC is a JSON object:
  exchange, type, routing_key  where to publish / what the queue is bound to ("" = the default exchange)
  queue                        declared in this process (Python's exchanges and bindings live in its memory)
  messages                     publish: [{"body", "kind": json|text|raw (body = base64), "headers", "props"}]
  count, idle                  consume: stop after count messages, or after idle seconds without one
  retry_deadlocks              consume: on a deadlock, roll back and go on (as a worker that reconnects)
"""
import base64
import json
import socket
import sys
import time

from kombu import Connection, Exchange, Queue
from sqlalchemy.exc import OperationalError


def entities(spec):
    name = spec.get('exchange') or ''
    ex = Exchange(name, type=spec.get('type') or 'direct') if name else Exchange('')
    q = None
    if spec.get('queue'):
        q = Queue(spec['queue'], ex, routing_key=spec.get('routing_key') or spec['queue']) if name else Queue(spec['queue'])
    return ex, q


def publish(conn, spec):
    ex, q = entities(spec)
    producer = conn.Producer(exchange=ex, auto_declare=False)
    n = 0
    for m in spec.get('messages', []):
        kw = dict(routing_key=spec.get('routing_key', ''), headers=m.get('headers') or {},
                  declare=[q] if q is not None else [], **(m.get('props') or {}))
        kind = m.get('kind', 'json')
        if kind == 'text':
            producer.publish(m['body'], serializer=None, content_type='text/plain', content_encoding='utf-8', **kw)
        elif kind == 'raw':
            producer.publish(base64.b64decode(m['body']), serializer='raw', **kw)
        else:
            producer.publish(m['body'], serializer='json', **kw)
        n += 1
    print(json.dumps({'published': n}))


def consume(conn, spec):
    ex, q = entities(spec)
    count = spec.get('count', 1)
    idle = spec.get('idle', 5)
    out = []

    def on_message(body, message):
        if isinstance(body, (bytes, bytearray)):
            body = {'__bytes__': base64.b64encode(bytes(body)).decode()}
        props = {k: v for k, v in message.properties.items() if k != 'delivery_info'}
        out.append({'body': body, 'headers': message.headers, 'properties': props,
                    'delivery_info': {k: message.delivery_info.get(k) for k in ('exchange', 'routing_key')},
                    'content_type': message.content_type, 'content_encoding': message.content_encoding})
        message.ack()

    last = time.monotonic()
    with conn.Consumer([q], callbacks=[on_message], accept=['json', 'text/plain', 'application/data']):
        print('READY', flush=True)
        while len(out) < count and time.monotonic() - last < idle:
            before = len(out)
            try:
                conn.drain_events(timeout=0.5)
            except (socket.timeout, TimeoutError):
                pass
            except OperationalError as e:
                # Kombu claims with SELECT ... FOR UPDATE through a secondary index; on MariaDB that can deadlock
                # with any writer of the rows it scans, and Kombu does not retry: a worker would reconnect.
                if not spec.get('retry_deadlocks') or 'Deadlock' not in str(e):
                    raise
                print('deadlock, retrying: %s' % str(e).splitlines()[0], file=sys.stderr, flush=True)
                conn.default_channel.session.rollback()
            if len(out) > before:
                last = time.monotonic()
    print(json.dumps(out, default=str))


def main():
    mode, url, spec = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    with Connection(url, connect_timeout=10) as conn:
        (publish if mode == 'publish' else consume)(conn, spec)


if __name__ == '__main__':
    main()
