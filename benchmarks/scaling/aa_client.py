#!/usr/bin/env python3
"""Client and server for benchmarks/scaling (no dependencies beyond python3).

  aa_client.py serve NAME PORT
      TCP server on every address: each connection first gets NAME and a newline, then every byte is echoed back
      until the client closes.

  aa_client.py probe SECONDS EVENT_AT SESSION_S VIP:PORT [VIP:PORT ...]
      Every 10 ms a new connection to each target in turn (round-robin over the targets, one attempt per target per
      tick); an attempt gives up after 500 ms. A connection that got its server's name is a session: it sends one
      byte every 100 ms and expects it back for SESSION_S seconds, then closes; a reset, EOF or 1 s without the echo
      breaks it. EVENT_AT (seconds after the start) splits the run: shares are counted before it, broken sessions
      are those open at EVENT_AT that broke, outage is the longest run of failed connects per target after it
      (from the start of the last successful attempt before the run to the start of the first one after it).
      Prints "PROBE started" when its clock starts (the caller times EVENT_AT from that line), then one line:
      RESULT key=value ... (via.VIP.NODE: connects to VIP answered by NODE before the event)
"""
import asyncio, sys, time, collections

def serve(name, port):
    async def handle(reader, writer):
        try:
            writer.write(name.encode() + b"\n")
            await writer.drain()
            while True:
                data = await reader.read(4096)
                if not data:
                    break
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            try:
                writer.close()
            except Exception:
                pass

    async def main():
        server = await asyncio.start_server(handle, "0.0.0.0", port, backlog=4096, reuse_address=True)
        print(f"serving {name} on {port}", flush=True)
        async with server:
            await server.serve_forever()
    asyncio.run(main())

async def probe(seconds, event_at, session_s, targets):
    t0 = time.monotonic()
    print("PROBE started", flush=True)   # the script times the event from this line
    attempts = collections.defaultdict(list)   # target -> [(start, ok)]
    shares = collections.Counter()             # node -> successful connects before the event
    via = collections.Counter()                # (target, node) -> successful connects before the event
    open_at_event = collections.Counter()      # node -> sessions open at the event
    broken = collections.Counter()             # node -> of those, broken
    tasks = set()

    async def attempt(target):
        host, port = target.rsplit(":", 1)
        start = time.monotonic() - t0
        writer = None
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(host, int(port)), 0.5)
            line = await asyncio.wait_for(reader.readline(), 0.5)
            if not line:
                raise ConnectionError("no greeting")
            node = line.decode().strip()
        except (OSError, asyncio.TimeoutError, ConnectionError):
            attempts[target].append((start, False))
            if writer:
                writer.close()
            return
        attempts[target].append((start, True))
        if start < event_at:
            shares[node] += 1
            via[(target.rsplit(":", 1)[0], node)] += 1
        end = start + session_s
        spans_event = start < event_at < end
        if spans_event:
            open_at_event[node] += 1
        try:
            while time.monotonic() - t0 < end:
                await asyncio.sleep(0.1)
                writer.write(b"x")
                await writer.drain()
                echo = await asyncio.wait_for(reader.readexactly(1), 1.0)
                if echo != b"x":
                    raise ConnectionError("bad echo")
        except (OSError, asyncio.TimeoutError, ConnectionError, asyncio.IncompleteReadError):
            if spans_event:
                broken[node] += 1
        finally:
            writer.close()

    tick = 0
    while time.monotonic() - t0 < seconds:
        for target in targets:
            task = asyncio.ensure_future(attempt(target))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        tick += 1
        delay = t0 + tick * 0.01 - time.monotonic()
        await asyncio.sleep(max(0.0, delay))
    if tasks:
        await asyncio.wait(tasks, timeout=session_s + 5)

    outage_ms = 0.0
    unended = 0
    for target, runs in attempts.items():
        runs.sort()
        last_ok, failed = None, 0
        for start, ok in runs:
            if not ok:
                failed += 1
                continue
            if failed and (last_ok or 0) + 0.0 >= event_at - 1.0:
                outage_ms = max(outage_ms, (start - (last_ok or 0)) * 1000)
            failed = 0
            last_ok = start
        if failed:
            unended = 1
    total = sum(shares.values()) or 1
    parts = [f"outage_ms={outage_ms:.0f}", f"unended={unended}",
             f"attempts={sum(len(r) for r in attempts.values())}",
             f"failed={sum(1 for r in attempts.values() for _, ok in r if not ok)}",
             f"open_at_event={sum(open_at_event.values())}", f"broken={sum(broken.values())}"]
    for node in sorted(set(shares) | set(open_at_event)):
        parts.append(f"share.{node}={shares[node] / total:.3f}")
        parts.append(f"open.{node}={open_at_event[node]}")
        parts.append(f"broken.{node}={broken[node]}")
    for (target, node), count in sorted(via.items()):
        parts.append(f"via.{target}.{node}={count}")
    print("RESULT " + " ".join(parts), flush=True)

if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2], int(sys.argv[3]))
    elif sys.argv[1] == "probe":
        asyncio.run(probe(float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), sys.argv[5:]))
    else:
        sys.exit(__doc__)
