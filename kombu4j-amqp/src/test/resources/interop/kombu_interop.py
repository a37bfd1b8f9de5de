"""Python Kombu side of kombu4j's AMQP interop tests.

usage: kombu_interop.py publish|consume URL SPEC_JSON
publish: SPEC = {"messages": [{"exchange", "routing_key", "body", headers?, priority?, correlation_id?,
         reply_to?, compression?, serializer?, expiration?}]}; entities are declared by the Java side.
consume: SPEC = {"queues": [...], "count": N, "prefetch": P, "timeout": S}; prints the messages as JSON.
"""
import json
import sys
import time

from kombu import Connection, Consumer, Producer, Queue

PUBLISH_KEYS = ("headers", "priority", "correlation_id", "reply_to", "compression", "serializer",
                "expiration", "delivery_mode", "content_type", "content_encoding")


def publish(conn, spec):
    producer = Producer(conn.channel(), auto_declare=False)
    for m in spec["messages"]:
        kwargs = {k: m[k] for k in PUBLISH_KEYS if k in m}
        producer.publish(m["body"], exchange=m["exchange"], routing_key=m.get("routing_key", ""), **kwargs)
    print(json.dumps({"published": len(spec["messages"])}))


def consume(conn, spec):
    out = []

    def on_message(body, message):
        info = message.delivery_info
        out.append({
            "body": body if not isinstance(body, bytes) else body.decode("utf-8", "replace"),
            "headers": message.headers,
            "properties": {k: v for k, v in message.properties.items() if k != "application_headers"},
            "content_type": message.content_type,
            "content_encoding": message.content_encoding,
            "exchange": info.get("exchange"),
            "routing_key": info.get("routing_key"),
            "redelivered": info.get("redelivered"),
        })
        message.ack()

    queues = [Queue(q, no_declare=True) for q in spec["queues"]]
    deadline = time.monotonic() + spec.get("timeout", 10)
    with Consumer(conn, queues, callbacks=[on_message], accept=["json", "text/plain", "application/data"],
                  prefetch_count=spec.get("prefetch", 0) or None, auto_declare=False):
        while len(out) < spec["count"] and time.monotonic() < deadline:
            try:
                conn.drain_events(timeout=0.5)
            except TimeoutError:
                pass
            except Exception as e:  # socket.timeout on older Pythons
                if type(e).__name__ != "timeout":
                    raise
    print(json.dumps(out, default=str))


def main():
    mode, url, spec = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    with Connection(url, connect_timeout=5) as conn:
        if mode == "publish":
            publish(conn, spec)
        elif mode == "consume":
            consume(conn, spec)
        else:
            raise SystemExit("unknown mode " + mode)


if __name__ == "__main__":
    main()
