#!/usr/bin/env python3
"""Where a process's resident memory is: /proc/PID/smaps grouped into what a .NET (Native AOT) process maps.

  rss_profile.py PID

Groups: the GC heap (the runtime's reserved range for its regions, 1 GiB or more of PROT_NONE, and the regions
committed inside it, which split out of it as rw mappings next to it),
glibc malloc (the [heap] of the main arena and the 64 MiB-aligned per-thread arenas), thread stacks ([stack] and
anonymous mappings of 1-16 MiB that end in a guard page), the executable and shared libraries (file-backed), and
other anonymous memory (GC bookkeeping, pipes' user-space buffers, pinned pools...). Prints RSS per group in KiB,
the total (which is VmRSS), and the largest mappings of the "other" group."""
import re, sys

pid = sys.argv[1]
maps, cur = [], None
with open(f"/proc/{pid}/smaps") as f:
    for line in f:
        m = re.match(r"^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \d+\s*(.*)$", line)
        if m:
            cur = {"start": int(m[1], 16), "end": int(m[2], 16), "perm": m[3], "path": m[4].strip(), "Rss": 0}
            maps.append(cur)
        elif cur is not None and line.startswith("Rss:"):
            cur["Rss"] = int(line.split()[1])

groups = {}
def add(g, m): groups.setdefault(g, []).append(m)
for i, m in enumerate(maps):
    size = m["end"] - m["start"]
    p = m["path"]
    if p == "[heap]":
        add("glibc malloc (main arena, brk)", m)
    elif p == "[stack]":
        add("thread stacks", m)
    elif p.startswith("/"):
        add("executable" if "hanet" in p or "haproxy" in p else "shared libraries", m)
    elif p.startswith("["):
        add("kernel ([vdso], [vvar])", m)
    elif size >= 1 << 30 or any(0 <= j < len(maps) and maps[j]["perm"].startswith("---") and maps[j]["end"] - maps[j]["start"] >= 1 << 30
                                and (maps[j]["end"] == m["start"] or maps[j]["start"] == m["end"]) for j in (i - 1, i + 1)):
        # the GC's reservation (PROT_NONE) and the regions committed inside it (rw, split out of it)
        add("GC heap (regions)", m)
    elif size <= 64 << 20 and m["start"] % (64 << 20) == 0:
        add("glibc malloc (thread arenas)", m)
    elif (1 << 20) <= size <= (16 << 20) and i > 0 and maps[i - 1]["perm"].startswith("---") and maps[i - 1]["end"] == m["start"]:
        add("thread stacks", m)
    else:
        add("other anonymous", m)

total = sum(m["Rss"] for m in maps)
for g, ms in sorted(groups.items(), key=lambda kv: -sum(m["Rss"] for m in kv[1])):
    print(f"{g:34s} {sum(m['Rss'] for m in ms):8d} KiB  ({len(ms)} mappings)")
print(f"{'total (VmRSS)':34s} {total:8d} KiB")
other = sorted(groups.get("other anonymous", []), key=lambda m: -m["Rss"])[:6]
for m in other:
    print(f"   other: {m['Rss']:7d} KiB resident of {(m['end'] - m['start']) >> 10:8d} KiB  {m['perm']}")
stacks = sorted(groups.get("thread stacks", []), key=lambda m: -m["Rss"])[:4]
for m in stacks:
    print(f"   stack-like: {m['Rss']:7d} KiB resident of {(m['end'] - m['start']) >> 10:8d} KiB  {m['perm']} at {m['start']:#x}")
