"""Python Kombu side of kombu4j's serializer x compression interop matrix, and of its typed interop tests.

usage: kombu_matrix.py publish URL QUEUE         publishes one message per case to QUEUE (default exchange)
       kombu_matrix.py consume URL QUEUE COUNT   prints the received cases as one JSON list
A case is "<serializer>/<compression or none>"; it travels in the header "case".
       kombu_matrix.py publish-typed URL QUEUE   publishes the typed task twice with Kombu's json: due as an aware UTC
                                                 datetime (case "aware"), then naive (case "naive")
       kombu_matrix.py consume-typed URL QUEUE COUNT   as consume, with each body field shown as
                                                 [Python type name, str(value)] ([type, value] for dicts and lists)
"""
import base64
import datetime as dt
import decimal
import json
import socket
import sys
import time
import uuid

from kombu import Connection, Consumer, Producer, Queue, compression

DOC = {"k": [1, 2, 3], "s": "kombu \u00fc", "n": None, "f": 1.5, "t": True}
TEXT = "hello \u00fc"
RAW = b"\x00\x01\xffraw"
SERIALIZERS = ["json", "msgpack", "yaml", "text", "raw"]
COMPRESSIONS = {"application/x-gzip": "zlib", "application/x-bz2": "bzip2", "application/x-lzma": "lzma",
                "application/x-brotli": "brotli", "application/zstd": "zstd"}


def compressions():
    have = set(compression.encoders())
    return [None] + [name for ct, name in COMPRESSIONS.items() if ct in have]


def publish(conn, queue):
    producer = Producer(conn.channel(), auto_declare=False)
    n = 0
    for ser in SERIALIZERS:
        for comp in compressions():
            kw = {"headers": {"case": "%s/%s" % (ser, comp or "none")}, "routing_key": queue, "exchange": ""}
            if comp:
                kw["compression"] = comp
            if ser == "text":
                producer.publish(TEXT, serializer=None, content_type="text/plain", content_encoding="utf-8", **kw)
            elif ser == "raw":
                producer.publish(RAW, serializer=None, content_type="application/data", content_encoding="binary", **kw)
            else:
                producer.publish(DOC, serializer=ser, **kw)
            n += 1
    print(json.dumps({"published": n, "compressions": [c or "none" for c in compressions()]}))


def task(due):
    return {"name": "resize", "due": due,
            "created": dt.datetime(2024, 1, 2, 5, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=2))),
            "local": dt.datetime(2024, 1, 2, 3, 4, 5), "day": dt.date(2024, 1, 2),
            "price": decimal.Decimal("1.10"), "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
            "tags": ["a", "b"]}


def publish_typed(conn, queue):
    producer = Producer(conn.channel(), auto_declare=False)
    aware = dt.datetime(2024, 1, 2, 3, 4, 5, 678901, tzinfo=dt.timezone.utc)
    for case, due in (("aware", aware), ("naive", aware.replace(tzinfo=None))):
        producer.publish(task(due), serializer="json", routing_key=queue, exchange="", headers={"case": case})
    print(json.dumps({"published": 2}))


def plain_body(body):
    if isinstance(body, (bytes, bytearray)):
        return {"__bytes__": base64.b64encode(bytes(body)).decode()}
    return body


def typed_fields(body):
    def show(value):
        if isinstance(value, (dict, list)):
            return [type(value).__name__, value]
        return [type(value).__name__, str(value)]
    return {k: show(v) for k, v in body.items()}


def consume(conn, queue, count, describe=plain_body):
    out = []

    def on_message(body, message):
        out.append({"case": message.headers.get("case"), "body": describe(body), "content_type": message.content_type,
                    "content_encoding": message.content_encoding,
                    "compression": message.headers.get("compression")})
        message.ack()

    deadline = time.monotonic() + 20
    with Consumer(conn, [Queue(queue, no_declare=True)], callbacks=[on_message],
                  accept=["json", "msgpack", "yaml", "text/plain", "application/data"], auto_declare=False):
        while len(out) < count and time.monotonic() < deadline:
            try:
                conn.drain_events(timeout=0.5)
            except (socket.timeout, TimeoutError):
                pass
    print(json.dumps(out))


def main():
    mode, url, queue = sys.argv[1], sys.argv[2], sys.argv[3]
    with Connection(url, connect_timeout=5) as conn:
        if mode == "publish":
            publish(conn, queue)
        elif mode == "publish-typed":
            publish_typed(conn, queue)
        elif mode == "consume-typed":
            consume(conn, queue, int(sys.argv[4]), typed_fields)
        else:
            consume(conn, queue, int(sys.argv[4]))


if __name__ == "__main__":
    main()
