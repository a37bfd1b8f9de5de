"""Plain Python Kombu: handles N orders that Java sent, answers each on examples.status.

Usage: python3 orders_worker.py URL N
"""
import sys

from kombu import Connection, Exchange, Queue

url, count = sys.argv[1], int(sys.argv[2])
orders = Exchange("examples.orders", type="direct")
order_queue = Queue("examples.orders", orders, routing_key="order")
status_exchange = Exchange("examples.status", type="direct")
status_queue = Queue("examples.status", status_exchange, routing_key="status")

done = 0
with Connection(url) as conn:
    producer = conn.Producer(serializer="json")
    # Declared here, once, not per publish: py-amqp's basic_publish first drains pending frames, so
    # with several orders already delivered a handler runs inside the previous handler's publish.
    # Nested synchronous declares then take each other's declare-ok replies and one waits forever
    # (on RabbitMQ, seen as statuses 5 and 4 only). prefetch_count=1 keeps one order in hand at a time.
    producer.maybe_declare(status_queue)

    def handle(body, message):
        global done
        producer.publish(
            {"order_id": body["order_id"], "status": "shipped", "by": "python"},
            exchange=status_exchange, routing_key="status")
        message.ack()
        done += 1

    with conn.Consumer(order_queue, callbacks=[handle], accept=["json"], prefetch_count=1):
        print("ready", flush=True)
        while done < count:
            conn.drain_events(timeout=30)
print("handled", done, flush=True)
