import os, socket, subprocess, sys, time
# usage: ready.py RUNS -- command...   prints ms from spawn to READY=1 on $NOTIFY_SOCKET
runs = int(sys.argv[1]); cmd = sys.argv[3:]
res = []
for r in range(runs):
    path = f"/tmp/ops-try/m/n{os.getpid()}-{r}.sock"
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(path); s.settimeout(60)
    env = dict(os.environ, NOTIFY_SOCKET=path)
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while True:
        d = s.recv(4096)
        if d.startswith(b"READY=1"): break
    res.append((time.monotonic() - t0) * 1000)
    p.send_signal(15); p.wait(60); s.close(); os.unlink(path)
print(" ".join(f"{x:.0f}" for x in res), "ms")
