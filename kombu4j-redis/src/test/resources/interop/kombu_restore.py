"""Python Kombu side of the cross-language unacked-restore tests.

usage: kombu_restore.py hold URL QUEUE N      consume N messages without acking, print "HELD N", then wait to be killed
       kombu_restore.py take URL QUEUE N      consume N messages with visibility_timeout=1 (so Kombu restores what a
                                              dead consumer held), ack each, print one JSON list of
                                              {"body": ..., "redelivered": ...}
"""
import json
import socket
import sys
import time

from kombu import Connection, Consumer, Queue


def main():
    mode, url, queue, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    opts = {"visibility_timeout": 1} if mode == "take" else {}
    with Connection(url, transport_options=opts) as conn:
        got = []

        def on_message(body, message):
            got.append({"body": body, "redelivered": bool(message.delivery_info.get("redelivered"))})
            if mode == "take":
                message.ack()

        with Consumer(conn, [Queue(queue, no_declare=True)], callbacks=[on_message], accept=["json"],
                      auto_declare=False):
            deadline = time.monotonic() + 30
            while len(got) < n and time.monotonic() < deadline:
                try:
                    conn.drain_events(timeout=0.2)
                except (socket.timeout, TimeoutError):
                    pass
            if mode == "hold":
                print("HELD %d" % len(got), flush=True)
                time.sleep(600)
            else:
                print(json.dumps(got), flush=True)


if __name__ == "__main__":
    main()
