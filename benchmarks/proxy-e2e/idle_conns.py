#!/usr/bin/env python3
"""Opens N idle TCP connections to HOST:PORT, touches READY_FILE once all are connected, holds them until killed."""
import socket, sys, time, resource, signal

host, port, n, ready = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
resource.setrlimit(resource.RLIMIT_NOFILE, (n + 1024, n + 1024))
conns = []
for i in range(n):
    s = socket.socket()
    s.connect((host, port))
    conns.append(s)
open(ready, "w").write(str(len(conns)))
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
while True:
    time.sleep(3600)
