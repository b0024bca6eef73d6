#!/usr/bin/python3
"""Binary seeds of the trace harnesses from a CSV trace (common/trace.h).

    /usr/bin/python3 fuzz/seeds.py fuzz/corpus/trace/seed.csv

writes fuzz/corpus/trace/seed.bin (the same events as a binary trace:
header, records, FNV-1a checksum) and fuzz/corpus/trace_binary/records
(the records alone: fuzz_trace_binary puts its own header in front).
"""
import struct
import sys

TYPES = ["", "app_open", "impression", "listen_start", "listen_end", "like", "follow",
         "notify_enable", "show_scheduled", "show_live", "show_end", "promo_post"]
SOURCES = ["none", "home", "notification", "promo", "trace"]
NONE32, NONE16 = 0xFFFFFFFF, 0xFFFF


def record(row):
    (eid, t, typ, user, show, creator, session, topic, pos, source, value) = row.split(",")
    u32 = lambda s: int(s) if s else NONE32
    u16 = lambda s: int(s) if s else NONE16
    return struct.pack("<QqqIIIIHHBB2x", int(eid), int(t), int(value), u32(user), u32(show),
                       u32(creator), u32(session), u16(topic), u16(pos), TYPES.index(typ),
                       SOURCES.index(source))


def fnv1a(data):
    h = 1469598103934665603
    for b in data:
        h = ((h ^ b) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return h


def main(path):
    rows = open(path).read().split("\n")[1:]
    recs = b"".join(record(r) for r in rows if r)
    n = len(recs) // 48
    head = b"AIRTRACE" + struct.pack("<IIIIQQ", 1, 0x01020304, 48, 0, n, fnv1a(recs))
    head += b"\0" * (64 - len(head))
    base = path.rsplit("/", 2)[0]
    with open(path[:-4] + ".bin", "wb") as f:
        f.write(head + recs)
    with open(base + "/trace_binary/records", "wb") as f:
        f.write(recs)


if __name__ == "__main__":
    main(sys.argv[1])
