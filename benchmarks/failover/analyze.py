#!/usr/bin/env python3
"""Reads what benchmarks/failover/run.sh recorded for one run (a capture of the segment, `ip -ts monitor address`
of both nodes, the probe's outage, the moment of the event) and prints one JSON record; `summary` turns the records
of a whole benchmark into the tables of the README.

  analyze.py run KEY=VALUE...      → one JSON line on stdout
  analyze.py summary records.jsonl → tables on stdout

Timestamps: the capture's are the kernel's (tcpdump -tt, µs), the monitor's are ip's when it read the netlink
notification (µs, UTC), the event's is `date +%s.%N` just before the signal or the link change.
"""
import datetime
import json
import re
import statistics
import sys

VIP = "198.18.0.100"
A_IP, B_IP = "198.18.0.11", "198.18.0.12"
A_MAC, B_MAC = "02:00:c6:12:00:0b", "02:00:c6:12:00:0c"

VRRP_RE = re.compile(r"^(\d+\.\d+) (\S+) > (\S+), .*?: (\d+\.\d+\.\d+\.\d+) > 224\.0\.0\.18: VRRPv(\d), Advertisement, vrid (\d+), prio (\d+)")
ARP_RE = re.compile(r"^(\d+\.\d+) (\S+) > (\S+), ethertype ARP.*(?:who-has " + re.escape(VIP) + r" .*tell " + re.escape(VIP) + r"|Reply " + re.escape(VIP) + r" is-at)")
MON_RE = re.compile(r"^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+)\] (Deleted )?\d+: \S+\s+inet " + re.escape(VIP) + r"/")


def parse_capture(path):
    adverts, garps = [], []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = VRRP_RE.match(line)
            if m:
                adverts.append((float(m.group(1)), m.group(4), int(m.group(7))))
                continue
            m = ARP_RE.match(line)
            if m:
                garps.append((float(m.group(1)), m.group(2)))
    return adverts, garps


def parse_monitor(path):
    events = []
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                m = MON_RE.match(line)
                if m:
                    t = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=datetime.timezone.utc).timestamp()
                    events.append((t, "del" if m.group(2) else "add"))
    except FileNotFoundError:
        pass
    return events


def skew_us(version, priority, interval_s):
    """keepalived 2.2.7 vrrp.h VRRP_TIMER_SKEW_CALC, in µs."""
    interval_us = round(interval_s * 1_000_000)
    if version == 2:
        return (256 - priority) * 1_000_000 // 256
    return (256 - priority) * (interval_us // 10_000) * 625 // 16


def master_down_s(version, priority, interval_s):
    return (3 * round(interval_s * 1_000_000) + skew_us(version, priority, interval_s)) / 1e6


def first(items, pred):
    for i in items:
        if pred(i):
            return i
    return None


def median_note(rs):
    """The median client outage of a cell: a kill falls anywhere in an advert interval, so single runs spread over it."""
    o = [float(r["outage_ms"]) for r in rs if str(r.get("outage_ms", "?")).replace(".", "", 1).isdigit()]
    return f"  (median {fmt(statistics.median(o))})" if o else ""


def prio0_note(rs):
    n = sum(1 for r in rs if r.get("a_prio0_after_kill"))
    return f"  [{n} run(s) with a priority-0 advert from A after the kill: not a crash]" if n else ""


def gaps_ms(times):
    return [round((b - a) * 1000, 3) for a, b in zip(times, times[1:])]


def run(args):
    a = dict(arg.split("=", 1) for arg in args)
    version, interval = int(a["version"]), float(a["interval"])
    event = float(a["event"])
    adverts, garps = parse_capture(a["capture"])
    mon_a, mon_b = parse_monitor(a.get("mon_a", "")), parse_monitor(a.get("mon_b", ""))
    rec = {k: a[k] for k in ("impl", "scenario", "version", "interval", "rep")}
    rec["outage_ms"] = a.get("outage", "?")
    steady_from = event - float(a.get("steady", "0"))
    a_adverts = [t for t, src, prio in adverts if src == A_IP and prio > 0]
    rec["gaps_ms"] = gaps_ms([t for t in a_adverts if steady_from <= t < event])
    scenario = a["scenario"]
    if scenario == "kill":
        b_adv = first(adverts, lambda x: x[0] > event and x[1] == B_IP and x[2] > 0)
        b_garp = first(garps, lambda x: x[0] > event and x[1] == B_MAC)
        b_vip = first(mon_b, lambda x: x[0] > event and x[1] == "add")
        # A graceful stop is not a crash: count a priority-0 advert from A after the event (none is expected).
        rec["a_prio0_after_kill"] = sum(1 for t, src, prio in adverts if t > event and src == A_IP and prio == 0)
        ref = min(b_adv[0], b_garp[0], b_vip[0]) if b_adv and b_garp and b_vip else None
        # A's last advert is the last one on the capture before B acts: `date` is taken before the port goes down,
        # so an advert can still leave A between the event's timestamp and the port going down.
        last_a = max((t for t in a_adverts if t < ref), default=None) if ref else None
        if last_a and ref:
            rec["expiry_late_ms"] = round((ref - (last_a + master_down_s(version, 100, interval))) * 1000, 3)
            rec["advert_ms"] = round((b_adv[0] - ref) * 1000, 3)
            rec["vip_ms"] = round((b_vip[0] - ref) * 1000, 3)
            rec["garp_ms"] = round((b_garp[0] - ref) * 1000, 3)
    elif scenario == "stop":
        zero = first(adverts, lambda x: x[0] > event and x[1] == A_IP and x[2] == 0)
        removed = first(mon_a, lambda x: x[0] > event and x[1] == "del")
        if zero:
            rec["sigterm_to_prio0_ms"] = round((zero[0] - event) * 1000, 3)
        if removed:
            rec["sigterm_to_vip_removed_ms"] = round((removed[0] - event) * 1000, 3)
    elif scenario == "converge":
        a_vip = first(mon_a, lambda x: x[0] > event and x[1] == "add")
        a_adv = first(adverts, lambda x: x[0] > event and x[1] == A_IP and x[2] > 0)
        if a_vip:
            rec["converge_ms"] = round((a_vip[0] - event) * 1000, 1)
        if a_adv:
            rec["first_advert_ms"] = round((a_adv[0] - event) * 1000, 1)
        # A second master: B held the VIP (from its add to its removal) or advertised as master.
        b_add = first(mon_b, lambda x: x[0] > event and x[1] == "add")
        if b_add:
            b_del = first(mon_b, lambda x: x[0] > b_add[0] and x[1] == "del")
            rec["second_master_ms"] = round(((b_del[0] if b_del else b_add[0]) - b_add[0]) * 1000, 1)
        rec["b_master_adverts"] = sum(1 for t, src, prio in adverts if t > event and src == B_IP and prio > 0)
    elif scenario == "busy":
        end = float(a["end"])
        rec["b_master_adverts"] = sum(1 for t, src, prio in adverts if event <= t <= end and src == B_IP and prio > 0)
        rec["gaps_ms"] = gaps_ms([t for t in a_adverts if event <= t <= end])
        rec["a_adverts"] = len([t for t in a_adverts if event <= t <= end])
    print(json.dumps(rec))


def pct(values, p):
    if not values:
        return None
    s = sorted(values)
    k = min(len(s) - 1, max(0, int(round(p / 100 * len(s) + 0.5)) - 1))
    return s[k]


def fmt(v):
    return "-" if v is None else f"{v:.2f}"


def summary(path):
    recs = [json.loads(line) for line in open(path, encoding="utf-8") if line.strip().startswith("{")]
    impls = sorted({r["impl"] for r in recs}, key=lambda i: (i != "hanet", i))
    key = lambda r: (int(r["version"]), float(r["interval"]))
    configs = sorted({(int(r["version"]), float(r["interval"])) for r in recs}, key=lambda c: -c[1])

    print("Advert period of the master (ms, inter-advert gaps from the capture, steady state before each kill)")
    print(f"{'advert_int':>10} {'impl':>10} {'n':>5} {'p50':>9} {'p99':>9} {'max':>9} {'p99-int':>9}")
    for v, i in configs:
        for impl in impls:
            g = [x for r in recs if r["impl"] == impl and key(r) == (v, i) and r["scenario"] == "kill" for x in r["gaps_ms"]]
            if g:
                print(f"{str(i) + 's v' + str(v):>10} {impl:>10} {len(g):>5} {fmt(pct(g, 50)):>9} {fmt(pct(g, 99)):>9} {fmt(max(g)):>9} {fmt(pct(g, 99) - i * 1000):>9}")

    print()
    print("Hard failover (kill -9 + port down): action latency from the new master's first action (ms), timer lateness, client outage")
    print(f"{'advert_int':>10} {'impl':>10} {'n':>3} {'advert p50/p99':>15} {'VIP p50/p99':>13} {'GARP p50/p99':>14} {'expiry late p50/max':>20}  outage ms (each run)")
    for v, i in configs:
        for impl in impls:
            rs = [r for r in recs if r["impl"] == impl and key(r) == (v, i) and r["scenario"] == "kill"]
            if not rs:
                continue
            col = lambda k: [r[k] for r in rs if k in r]
            pp = lambda k: f"{fmt(pct(col(k), 50))}/{fmt(pct(col(k), 99))}"
            late = col("expiry_late_ms")
            print(f"{str(i) + 's v' + str(v):>10} {impl:>10} {len(rs):>3} {pp('advert_ms'):>15} {pp('vip_ms'):>13} {pp('garp_ms'):>14} "
                  f"{fmt(pct(late, 50)) + '/' + fmt(max(late) if late else None):>20}  {' '.join(str(r['outage_ms']) for r in rs)}"
                  f"{median_note(rs)}{prio0_note(rs)}")

    stops = [r for r in recs if r["scenario"] == "stop"]
    if stops:
        print()
        print("Graceful stop (SIGTERM to the master): ms from the signal")
        print(f"{'advert_int':>10} {'impl':>10} {'n':>3} {'prio-0 p50/max':>16} {'VIP removed p50/max':>20}  outage ms (each run)")
        for v, i in configs:
            for impl in impls:
                rs = [r for r in stops if r["impl"] == impl and key(r) == (v, i)]
                if not rs:
                    continue
                z = [r["sigterm_to_prio0_ms"] for r in rs if "sigterm_to_prio0_ms" in r]
                d = [r["sigterm_to_vip_removed_ms"] for r in rs if "sigterm_to_vip_removed_ms" in r]
                print(f"{str(i) + 's v' + str(v):>10} {impl:>10} {len(rs):>3} {fmt(pct(z, 50)) + '/' + fmt(max(z) if z else None):>16} "
                      f"{fmt(pct(d, 50)) + '/' + fmt(max(d) if d else None):>20}  {' '.join(str(r['outage_ms']) for r in rs)}")

    conv = [r for r in recs if r["scenario"] == "converge"]
    if conv:
        print()
        print("Cold start of both nodes at once: ms from the start to the master's VIP and first advert; a second master (B held the VIP, ms)")
        print(f"{'advert_int':>10} {'impl':>10} {'n':>3} {'VIP p50/max':>16} {'advert p50/max':>16} {'2nd master':>11}  VIP ms (each run)")
        for v, i in configs:
            for impl in impls:
                rs = [r for r in conv if r["impl"] == impl and key(r) == (v, i)]
                if not rs:
                    continue
                c = [r["converge_ms"] for r in rs if "converge_ms" in r]
                f = [r["first_advert_ms"] for r in rs if "first_advert_ms" in r]
                second = sum(1 for r in rs if "second_master_ms" in r)
                print(f"{str(i) + 's v' + str(v):>10} {impl:>10} {len(rs):>3} {fmt(pct(c, 50)) + '/' + fmt(max(c) if c else None):>16} "
                      f"{fmt(pct(f, 50)) + '/' + fmt(max(f) if f else None):>16} {str(second) + '/' + str(len(rs)):>11}  {' '.join(str(r.get('converge_ms', '?')) for r in rs)}")

    busy = [r for r in recs if r["scenario"] == "busy"]
    if busy:
        print()
        print("Busy master (hanet-proxyd under wrk + 200 MB/s allocation churn on the master's node): adverts of the master, and the backup's")
        print(f"{'advert_int':>10} {'impl':>10} {'adverts':>8} {'gap p50':>8} {'gap p99':>8} {'gap max':>8} {'backup took over (adverts)':>27}")
        for r in busy:
            g = r["gaps_ms"]
            print(f"{r['interval'] + 's v' + r['version']:>10} {r['impl']:>10} {r['a_adverts']:>8} {fmt(pct(g, 50)):>8} {fmt(pct(g, 99)):>8} "
                  f"{fmt(max(g) if g else None):>8} {r['b_master_adverts']:>27}")

    others = [r for r in recs if r["scenario"] not in ("kill", "stop", "busy", "converge")]
    if others:
        print()
        print("Other scenarios: client outage (ms, each run)")
        for s in sorted({r["scenario"] for r in others}):
            for v, i in configs:
                for impl in impls:
                    rs = [r for r in others if r["scenario"] == s and r["impl"] == impl and key(r) == (v, i)]
                    if rs:
                        print(f"{s:>10} {str(i) + 's v' + str(v):>10} {impl:>10}  {' '.join(str(r['outage_ms']) for r in rs)}")


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "run":
        run(sys.argv[2:])
    elif len(sys.argv) == 3 and sys.argv[1] == "summary":
        summary(sys.argv[2])
    else:
        print(__doc__)
        sys.exit(2)
