#!/usr/bin/env python3
"""A Python Kombu peer for kombu4j's Redis interop tests.

publish: sends --bodies (a JSON list) to --exchange/--type with --routing-key, one message per body,
         with --priorities, --headers, --props and --compression.
consume: declares --queue bound to --exchange/--type/--routing-key, prints READY, then one JSON line
         per message (and acks it) until --count messages or --idle seconds without one; then DONE.
"""
import argparse
import json
import socket
import sys

from kombu import Connection, Exchange, Queue


def entities(a):
    ex = Exchange(a.exchange, type=a.type) if a.exchange else Exchange('', type='direct')
    q = Queue(a.queue, ex, routing_key=a.routing_key) if a.queue else None
    return ex, q


def publish(a):
    bodies = json.loads(a.bodies)
    prios = json.loads(a.priorities) if a.priorities else [None] * len(bodies)
    headers = json.loads(a.headers) if a.headers else {}
    props = json.loads(a.props) if a.props else {}
    ex, q = entities(a)
    with Connection(a.url) as conn:
        producer = conn.Producer(exchange=ex)
        if ex.name:
            ex(conn.default_channel).declare()
        if q is not None:
            q(conn.default_channel).declare()
        for body, prio in zip(bodies, prios):
            kw = dict(routing_key=a.routing_key, headers=headers, **props)
            if prio is not None:
                kw['priority'] = prio
            if a.compression:
                kw['compression'] = a.compression
            if isinstance(body, dict) and body.get('__text__') is not None:
                producer.publish(body['__text__'], serializer=None, content_type='text/plain',
                                 content_encoding='utf-8', **kw)
            else:
                producer.publish(body, serializer='json', **kw)
    print('PUBLISHED %d' % len(bodies), flush=True)


def consume(a):
    ex, q = entities(a)
    got = []

    def on_message(body, message):
        if isinstance(body, bytes):
            body = body.decode('utf-8', 'replace')
        props = dict(message.properties)
        print(json.dumps({'body': body, 'headers': message.headers, 'properties': props,
                          'delivery_info': {k: message.delivery_info.get(k) for k in ('exchange', 'routing_key')},
                          'content_type': message.content_type, 'content_encoding': message.content_encoding},
                         default=str), flush=True)
        got.append(1)
        message.ack()

    with Connection(a.url) as conn:
        with conn.Consumer(q, callbacks=[on_message], accept=['json', 'text/plain', 'application/data'],
                           prefetch_count=a.prefetch or None):
            print('READY', flush=True)
            while a.count <= 0 or len(got) < a.count:
                try:
                    conn.drain_events(timeout=a.idle)
                except socket.timeout:
                    break
    print('DONE %d' % len(got), flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument('mode', choices=['publish', 'consume'])
    p.add_argument('--url', required=True)
    p.add_argument('--exchange', default='')
    p.add_argument('--type', default='direct')
    p.add_argument('--routing-key', default='')
    p.add_argument('--queue', default=None)
    p.add_argument('--bodies', default='[]')
    p.add_argument('--priorities', default=None)
    p.add_argument('--headers', default=None)
    p.add_argument('--props', default=None)
    p.add_argument('--compression', default=None)
    p.add_argument('--count', type=int, default=0)
    p.add_argument('--idle', type=float, default=3.0)
    p.add_argument('--prefetch', type=int, default=0)
    a = p.parse_args()
    (publish if a.mode == 'publish' else consume)(a)


if __name__ == '__main__':
    sys.exit(main())
