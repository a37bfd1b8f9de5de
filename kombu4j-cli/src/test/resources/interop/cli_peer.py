"""Python Kombu side of kombu4j-cli's interop tests (CliPythonInteropTest).

usage: cli_peer.py declare|publish|consume|cleanup URL SPEC_JSON

Queue spec:   {"name", "exchange"?, "type"?, "routing_key"?, "max_priority"?, "message_ttl"?}
Exchange:     {"name", "type"}
declare:  {"exchanges": [...], "queues": [...]}; prints {"declared": N}
publish:  {"declare": [queue specs], "messages": [{"exchange", "type"?, "routing_key", "body" | "body_b64",
          "serializer"?, "compression"?, "headers"?, "priority"?, "correlation_id"?, "reply_to"?,
          "content_type"?, "content_encoding"?}]}
consume:  {"queues": [queue specs], "count", "timeout", "declare"?: bool}; prints a JSON list of messages
          in the order Kombu delivered them, bytes bodies as {"b64": ...}
cleanup:  {"prefix", "queues": [...], "exchanges": [...]}: deletes what a test made
"""
import base64
import json
import socket
import sys
import time

from kombu import Connection, Consumer, Exchange, Producer, Queue

PROPERTY_KEYS = ("priority", "delivery_mode", "correlation_id", "reply_to", "expiration")


def queue_of(spec):
    kwargs = {}
    if spec.get("max_priority") is not None:
        kwargs["max_priority"] = spec["max_priority"]
    if spec.get("message_ttl") is not None:
        kwargs["message_ttl"] = spec["message_ttl"]
    if spec.get("exchange"):
        ex = Exchange(spec["exchange"], spec.get("type", "direct"))
        return Queue(spec["name"], ex, spec.get("routing_key", spec["name"]), **kwargs)
    return Queue(spec["name"], **kwargs)


def declare(conn, spec):
    ch = conn.channel()
    for e in spec.get("exchanges", []):
        Exchange(e["name"], e["type"])(ch).declare()
    for q in spec.get("queues", []):
        queue_of(q)(ch).declare()
    print(json.dumps({"declared": len(spec.get("exchanges", [])) + len(spec.get("queues", []))}))


def publish(conn, spec):
    ch = conn.channel()
    for q in spec.get("declare", []):
        queue_of(q)(ch).declare()
    producer = Producer(ch, auto_declare=False)
    for m in spec["messages"]:
        ex = m["exchange"]
        if m.get("type"):
            # Redis keeps exchange types per Connection (WIRE.md §12.1): declare before publishing.
            ex = Exchange(ex, m["type"])
            ex(ch).declare()
        body = base64.b64decode(m["body_b64"]) if "body_b64" in m else m["body"]
        kwargs = {k: m[k] for k in ("serializer", "compression", "headers", "priority", "correlation_id",
                                    "reply_to", "content_type", "content_encoding") if k in m}
        producer.publish(body, exchange=ex, routing_key=m.get("routing_key", ""), **kwargs)
    print(json.dumps({"published": len(spec["messages"])}))


def consume(conn, spec):
    out = []

    def on_message(body, message):
        if isinstance(body, (bytes, bytearray)):
            body = {"b64": base64.b64encode(bytes(body)).decode("ascii")}
        info = message.delivery_info
        out.append({
            "body": body,
            "content_type": message.content_type,
            "content_encoding": message.content_encoding,
            "headers": message.headers,
            "properties": {k: message.properties[k] for k in PROPERTY_KEYS if k in message.properties},
            "exchange": info.get("exchange"),
            "routing_key": info.get("routing_key"),
        })
        message.ack()

    queues = [queue_of(q) if spec.get("declare") else Queue(q["name"], no_declare=True) for q in spec["queues"]]
    deadline = time.monotonic() + spec.get("timeout", 10)
    with Consumer(conn, queues, callbacks=[on_message], accept=["json", "msgpack", "yaml", "text/plain",
                                                                 "application/data"],
                  auto_declare=bool(spec.get("declare"))):
        print("READY", file=sys.stderr, flush=True)
        while len(out) < spec["count"] and time.monotonic() < deadline:
            try:
                conn.drain_events(timeout=0.2)
            except socket.timeout:
                pass
    print(json.dumps(out))


def cleanup(conn, spec):
    if conn.transport_cls in ("redis", "rediss") or conn.transport.driver_type == "redis":
        client = conn.channel().client
        prefix = spec["prefix"]
        for key in client.scan_iter(match="*" + prefix + "*", count=1000):
            client.delete(key)
        for q in client.smembers("_kombu4j.queues"):
            if prefix.encode() in q:
                client.srem("_kombu4j.queues", q)
        for e in client.hkeys("_kombu4j.exchange.types"):
            if prefix.encode() in e:
                client.hdel("_kombu4j.exchange.types", e)
        return
    # One channel per delete: a 404 for something a failed test never made closes the channel.
    for q in spec.get("queues", []):
        try:
            conn.channel().queue_delete(q)
        except Exception:
            pass
    for e in spec.get("exchanges", []):
        try:
            conn.channel().exchange_delete(e)
        except Exception:
            pass


def main():
    mode, url, spec = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    with Connection(url, connect_timeout=5) as conn:
        {"declare": declare, "publish": publish, "consume": consume, "cleanup": cleanup}[mode](conn, spec)


if __name__ == "__main__":
    main()
