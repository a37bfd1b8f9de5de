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

    def handle(body, message):
        global done
        producer.publish(
            {"order_id": body["order_id"], "status": "shipped", "by": "python"},
            exchange=status_exchange, routing_key="status", declare=[status_queue])
        message.ack()
        done += 1

    with conn.Consumer(order_queue, callbacks=[handle], accept=["json"]):
        print("ready", flush=True)
        while done < count:
            conn.drain_events(timeout=30)
print("handled", done, flush=True)
