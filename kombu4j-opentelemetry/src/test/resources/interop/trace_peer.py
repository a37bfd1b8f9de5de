"""The Python side of KombuTracingInteropTest, with real Kombu.

Python's OpenTelemetry packages are not installed here (Debian has none and PyPI is out of reach), so this
script reads and writes the W3C trace context by hand, where OpenTelemetry's Celery instrumentation puts it:
the keys 'traceparent' and 'tracestate' in the message's headers (Kombu's Message.headers; publish(headers=...)).

  continue URL IN OUT   take one message from IN, check its traceparent, reply to OUT with a child traceparent
  start URL OUT IN      start a trace: publish to OUT with a fresh traceparent, then take the reply from IN
Prints one JSON line with what it saw and made.
"""
import json
import re
import secrets
import sys

from kombu import Connection

TRACEPARENT = re.compile(r'^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$')


def parse(value):
    if isinstance(value, bytes):
        value = value.decode()
    m = TRACEPARENT.match(value or '')
    if not m:
        raise SystemExit('no valid traceparent in the headers: %r' % (value,))
    return m.group(1), m.group(2), m.group(3)


def take(conn, name):
    q = conn.SimpleQueue(name)
    try:
        msg = q.get(timeout=30)
        msg.ack()
        return msg
    finally:
        q.close()


def put(conn, name, body, headers):
    q = conn.SimpleQueue(name)
    try:
        q.put(body, headers=headers, serializer='json')
    finally:
        q.close()


def main():
    mode, url, a, b = sys.argv[1:5]
    with Connection(url) as conn:
        if mode == 'continue':
            msg = take(conn, a)
            trace_id, parent_id, flags = parse(msg.headers.get('traceparent'))
            span_id = secrets.token_hex(8)  # the span of this Python consumer
            headers = {'traceparent': '00-%s-%s-%s' % (trace_id, span_id, flags)}
            if msg.headers.get('tracestate'):
                headers['tracestate'] = msg.headers['tracestate']
            put(conn, b, {'reply_to': msg.payload}, headers)
            print(json.dumps({'trace_id': trace_id, 'parent_id': parent_id, 'span_id': span_id,
                              'tracestate': msg.headers.get('tracestate')}))
        elif mode == 'start':
            trace_id, span_id = secrets.token_hex(16), secrets.token_hex(8)
            put(conn, a, {'job': 1}, {'traceparent': '00-%s-%s-01' % (trace_id, span_id)})
            reply = take(conn, b)
            r_trace, r_parent, _ = parse(reply.headers.get('traceparent'))
            print(json.dumps({'trace_id': trace_id, 'span_id': span_id, 'reply_trace_id': r_trace,
                              'reply_parent_id': r_parent}))
        else:
            raise SystemExit('unknown mode ' + mode)


if __name__ == '__main__':
    main()
