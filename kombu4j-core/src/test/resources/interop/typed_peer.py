"""Python Kombu side of kombu4j's typed interop tests (TypedKombuInterop).

usage: typed_peer.py publish URL QUEUE          publishes the task twice to QUEUE (default exchange) with Kombu's json:
                                                due as an aware UTC datetime (header case "aware"), then naive ("naive")
       typed_peer.py consume URL QUEUE COUNT    prints one JSON list: per message its "case" header and, per body field,
                                                [Python type name, str(value)] ([type, value] for dicts and lists)
"""
import datetime as dt
import decimal
import json
import socket
import sys
import time
import uuid

from kombu import Connection, Consumer, Producer, Queue


def task(due):
    return {"name": "resize", "due": due,
            "created": dt.datetime(2024, 1, 2, 5, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=2))),
            "local": dt.datetime(2024, 1, 2, 3, 4, 5), "day": dt.date(2024, 1, 2),
            "price": decimal.Decimal("1.10"), "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
            "tags": ["a", "b"]}


def publish(conn, queue):
    producer = Producer(conn.channel(), auto_declare=False)
    aware = dt.datetime(2024, 1, 2, 3, 4, 5, 678901, tzinfo=dt.timezone.utc)
    for case, due in (("aware", aware), ("naive", aware.replace(tzinfo=None))):
        producer.publish(task(due), serializer="json", routing_key=queue, exchange="", headers={"case": case})
    print(json.dumps({"published": 2}))


def show(value):
    if isinstance(value, (dict, list)):
        return [type(value).__name__, value]
    return [type(value).__name__, str(value)]


def consume(conn, queue, count):
    out = []

    def on_message(body, message):
        out.append({"case": message.headers.get("case"), "content_type": message.content_type,
                    "fields": {k: show(v) for k, v in body.items()}})
        message.ack()

    deadline = time.monotonic() + 20
    with Consumer(conn, [Queue(queue, no_declare=True)], callbacks=[on_message], accept=["json", "msgpack"],
                  auto_declare=False):
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
        else:
            consume(conn, queue, int(sys.argv[4]))


if __name__ == "__main__":
    main()
