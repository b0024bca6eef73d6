"""A ranker that breaks the protocol on purpose, for tests/test_scorer_exec.c.

Written against docs/ranker-protocol.md with struct alone (no numpy, no
airtime package: it starts fast and can send what the package never
would).  option.mode says what goes wrong, at the first SCORE unless noted:

    ok        one score per candidate: -(index)
    nan       score 2 is NaN
    count     one score too few
    exit      exits with status 3 instead of answering
    kill      kills itself with SIGKILL
    garbage   writes text instead of a frame
    sleep     never answers (sleeps 60 s)
    error     replies ERROR "model not ready", then exits 1
    seq       answers with the wrong sequence number
    version   READY says API version 2 (at HELLO)
    hello     dies before answering HELLO
    byestatus exits with status 4 after BYE
    fit       replies ERROR to FIT
"""

import os
import signal
import struct
import sys
import time

inp = os.fdopen(0, "rb", buffering=0)
out = os.fdopen(1, "wb", buffering=0)


def read_exact(n):
    buf = b""
    while len(buf) < n:
        chunk = inp.read(n - len(buf))
        if not chunk:
            sys.exit(1)
        buf += chunk
    return buf


def send(msg_type, seq, payload=b""):
    out.write(b"ATRP" + struct.pack("<HHII", 1, msg_type, len(payload), seq) + payload)


def string(s):
    b = s.encode()
    return struct.pack("<I", len(b)) + b


def options_of(p):
    n_features = struct.unpack_from("<I", p, 4)[0]
    pos = 8
    for _ in range(n_features):
        (length,) = struct.unpack_from("<I", p, pos)
        pos += 4 + length + 4
    pos += 8
    (length,) = struct.unpack_from("<I", p, pos)
    pos += 4 + length
    (n,) = struct.unpack_from("<I", p, pos)
    pos += 4
    opts = {}
    for _ in range(n):
        (kl,) = struct.unpack_from("<I", p, pos)
        key = p[pos + 4:pos + 4 + kl].decode()
        pos += 4 + kl
        (vl,) = struct.unpack_from("<I", p, pos)
        opts[key] = p[pos + 4:pos + 4 + vl].decode()
        pos += 4 + vl
    return opts


mode = "ok"
while True:
    header = read_exact(16)
    _, msg_type, length, seq = struct.unpack("<HHII", header[4:])
    p = read_exact(length)
    if msg_type == 1:
        mode = options_of(p).get("mode", "ok")
        if mode == "hello":
            sys.exit(2)
        send(101, seq, struct.pack("<I", 2 if mode == "version" else 1) + string("misbehave"))
    elif msg_type == 2:
        if mode == "fit":
            send(199, seq, string("cannot fit: no positives"))
            sys.exit(1)
        send(102, seq)
    elif msg_type == 3:
        n = struct.unpack_from("<I", p, 4 + 16 + 8)[0]
        scores = [-float(i) for i in range(n)]
        if mode == "nan":
            scores[2] = float("nan")
        elif mode == "count":
            scores.pop()
        elif mode == "exit":
            sys.exit(3)
        elif mode == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        elif mode == "garbage":
            out.write(b"Hello from a stray print\n")
            time.sleep(60)
        elif mode == "sleep":
            time.sleep(60)
        elif mode == "error":
            send(199, seq, string("model not ready"))
            sys.exit(1)
        elif mode == "seq":
            seq += 7
        send(103, seq, struct.pack("<II", 1, len(scores)) +
             struct.pack(f"<{len(scores)}d", *scores))
    elif msg_type == 4:
        send(104, seq)
        sys.exit(4 if mode == "byestatus" else 0)
