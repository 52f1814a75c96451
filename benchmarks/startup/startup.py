#!/usr/bin/env python3
"""Start-to-ready time of one daemon command, repeated: spawn it, wait for the ready event, stop it.

  startup.py tcp HOST:PORT N -- command...     ready = the first TCP connect to HOST:PORT that succeeds
  startup.py vrrp IFACE N -- command...        ready = the first IPv4 protocol-112 (VRRP) packet seen on IFACE

Prints one line per run (milliseconds from fork/exec to ready) and a summary line
"median MS min MS max MS". The daemon is stopped with SIGTERM (SIGKILL after 10 s) and reaped before
the next run; every wait is bounded (30 s to ready)."""
import os, signal, socket, statistics, subprocess, sys, time

def wait_tcp(host, port, deadline):
    while time.monotonic() < deadline:
        s = socket.socket()
        s.settimeout(0.05)
        try:
            s.connect((host, port))
            return True
        except OSError:
            time.sleep(0.0005)
        finally:
            s.close()
    return False

def open_vrrp_sniffer(iface):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
    s.bind((iface, 0))
    s.settimeout(0.05)
    return s

def wait_vrrp(s, deadline):
    while time.monotonic() < deadline:
        try:
            frame = s.recv(2048)
        except socket.timeout:
            continue
        if len(frame) > 23 and frame[23] == 112:   # Ethernet (14) + IPv4 protocol byte (9)
            return True
    return False

def stop(p):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill(); p.wait(10)

def main():
    kind, target, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    cmd = sys.argv[sys.argv.index("--") + 1:]
    times = []
    for i in range(n):
        sniffer = open_vrrp_sniffer(target) if kind == "vrrp" else None
        if sniffer:   # drain what an earlier run left in the socket
            sniffer.setblocking(False)
            try:
                while sniffer.recv(2048): pass
            except (BlockingIOError, socket.timeout):
                pass
            sniffer.settimeout(0.05)
        t0 = time.monotonic()
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = t0 + 30
        if kind == "tcp":
            host, port = target.rsplit(":", 1)
            ok = wait_tcp(host, int(port), deadline)
        else:
            ok = wait_vrrp(sniffer, deadline)
        ms = (time.monotonic() - t0) * 1000
        stop(p)
        if sniffer: sniffer.close()
        if not ok:
            print(f"run {i + 1}: not ready after 30 s (exit {p.returncode})", flush=True)
            sys.exit(1)
        times.append(ms)
        print(f"run {i + 1}: {ms:.1f} ms", flush=True)
        time.sleep(0.3)
    print(f"median {statistics.median(times):.1f} min {min(times):.1f} max {max(times):.1f}")

main()
