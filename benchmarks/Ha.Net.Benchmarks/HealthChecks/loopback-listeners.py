#!/usr/bin/env python3
"""Listens on 127.0.0.1 ports FIRST..FIRST+COUNT-1 and accepts and closes every connection:
the 'servers' of LoopbackCpuBenchmark when their CPU must not count (HANET_HEALTH_TARGET_PORTS).
Usage: loopback-listeners.py FIRST COUNT   (runs until killed)."""
import selectors, socket, sys

first, count = int(sys.argv[1]), int(sys.argv[2])
sel = selectors.DefaultSelector()
for port in range(first, first + count):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(128)
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ)
print("listening", flush=True)
while True:
    for key, _ in sel.select():
        try:
            c, _ = key.fileobj.accept()
            c.close()
        except OSError:
            pass
