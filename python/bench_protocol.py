"""Micro-benchmark of the external-ranker protocol on the Python side.

    /usr/bin/python3 python/bench_protocol.py [--rounds 5000] [--candidates 1000]
        [--features 30] [--command "/usr/bin/python3 examples/rankers/trivial.py"]

Two measurements of SCORE requests of one page of CANDIDATES x FEATURES:

1. In process, no pipes: the package's own Python overhead per request
   (decode the SCORE, check the scores, encode the SCORES), with a score()
   that costs nothing.  This is the figure the package promises to keep
   well under 150 us for 1,000 x 30.

2. Round trips to a ranker child process (by default examples/rankers/
   trivial.py) over pipes, the way airtime talks to it.  The host side is
   this Python script, sending pre-encoded frames (only the sequence number
   is patched), so its own cost is a write and a read per round trip.  The
   child is started with AIRTIME_RANKER_TIMING=1, which makes it measure
   its score() calls and print a summary to standard error at exit; the
   protocol overhead is the round trip minus the time inside score().

Wall-clock times are host measurements: they vary with the machine and its
load, and nothing here affects a simulation.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import struct
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from airtime import protocol as P  # noqa: E402
from airtime.ranker import TIMING_ENV, Ranker, check_scores, run_session  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def make_schema(n_features: int) -> P.Schema:
    return P.Schema(features=tuple(P.Feature(f"f{i}", 1 + i % 6) for i in range(n_features)),
                    n_topics=32, n_users=20000, ranker="bench")


def make_page(n: int, n_features: int) -> tuple[np.ndarray, P.Context]:
    """A page of n candidates with random features (a few NaN)."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(n, n_features)).astype(np.float32)
    X[rng.random(X.shape) < 0.02] = np.nan
    cands = P.Candidates(shows=np.arange(n, dtype=np.uint32) * 3,
                         creators=rng.integers(0, 5000, n, dtype=np.uint32),
                         topics=rng.integers(0, 32, n, dtype=np.uint16),
                         live=rng.integers(0, 2, n, dtype=np.uint8),
                         start_us=rng.integers(0, 10**12, n, dtype=np.int64))
    return X, P.Context(user=17, now_us=8 * 86400 * 10**6, request_id=1,
                        declared_topics=np.array([3, 1, 4], dtype=np.uint16), candidates=cands)


def percentiles(ns) -> dict[str, float]:
    """median, p99 and mean of nanosecond samples, in microseconds."""
    a = np.asarray(ns, dtype=np.float64) / 1000
    return {"median": float(np.median(a)), "p99": float(np.percentile(a, 99)),
            "mean": float(a.mean())}


class _Sink:
    """A binary output that discards what it is given."""

    def write(self, data) -> int:
        return len(data)

    def flush(self) -> None:
        pass


class _Replay:
    """A binary input that serves HELLO, then `rounds` copies of one SCORE
    frame (renumbered), then BYE: one frame per readinto, like a pipe."""

    def __init__(self, hello: bytes, score: bytes, rounds: int):
        self.frames = [hello]
        self.score = bytearray(score)
        self.rounds = rounds
        self.seq = 1

    def readinto(self, b) -> int:
        if self.frames:
            data = self.frames.pop()
        elif self.seq <= self.rounds:
            self.seq += 1
            struct.pack_into("<I", self.score, 12, self.seq)
            data = self.score
            if self.seq > self.rounds:
                self.frames.append(P.encode_frame(P.Request.BYE, self.seq + 1))
        else:
            return 0
        b[:len(data)] = data
        return len(data)


def in_process(rounds: int, n: int, n_features: int) -> dict[str, dict[str, float]]:
    """The package's Python overhead per SCORE, measured without pipes."""
    schema = make_schema(n_features)
    X, ctx = make_page(n, n_features)
    payload = P.encode_score([(X, ctx)])
    frame = bytearray(P.encode_frame(P.Request.SCORE, 1, payload))
    scores = np.nan_to_num(X[:, 0].astype(np.float64))
    writer = P.FrameWriter(_Sink())
    clock = time.perf_counter_ns
    decode, encode = [], []
    for _ in range(rounds):
        t0 = clock()
        (Xd, c), = P.decode_score(frame, P.HEADER_SIZE, len(payload), schema)
        t1 = clock()
        s = check_scores(scores, c, 0, 1, "bench")
        writer.send_scores(1, [s])
        t2 = clock()
        decode.append(t1 - t0)
        encode.append(t2 - t1)

    class Free(Ranker):
        """score() returns precomputed scores: it costs nothing."""

        def score(self, X, context):
            return scores

    replay = _Replay(P.encode_frame(P.Request.HELLO, 1, P.encode_hello(schema)),
                     bytes(frame), rounds)
    t0 = clock()
    status = run_session(Free(), replay, _Sink(), log=sys.stderr)
    elapsed = clock() - t0
    if status != 0:
        raise SystemExit("the in-process session failed")
    return {"decode SCORE": percentiles(decode), "check + encode SCORES": percentiles(encode),
            "whole request, serve loop": {"mean": elapsed / (rounds + 2) / 1000}}


def round_trips(command: str, rounds: int, warmup: int, n: int, n_features: int):
    """Round trips to a child ranker; (round-trip percentiles, the child's
    score() summary in microseconds)."""
    schema = make_schema(n_features)
    X, ctx = make_page(n, n_features)
    score_frame = bytearray(P.encode_frame(P.Request.SCORE, 0, P.encode_score([(X, ctx)])))
    reply = bytearray(P.HEADER_SIZE + 8 + 8 * n)
    view = memoryview(reply)
    with tempfile.TemporaryFile() as err:
        child = subprocess.Popen(shlex.split(command), cwd=REPO, stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, stderr=err, bufsize=0,
                                 env={**os.environ, TIMING_ENV: "1"})
        out = child.stdout

        def send(data) -> None:
            data = memoryview(data)
            while data:
                data = data[child.stdin.write(data):]

        def receive(size: int, got: int = 0) -> None:
            """Read reply[got:size]."""
            while got < size:
                k = out.readinto(view[got:size])
                if not k:
                    err.seek(0)
                    raise SystemExit("the ranker closed its output:\n" + err.read().decode())
                got += k

        send(P.encode_frame(P.Request.HELLO, 1, P.encode_hello(schema)))
        receive(P.HEADER_SIZE)
        receive(P.HEADER_SIZE + struct.unpack_from("<I", reply, 8)[0], P.HEADER_SIZE)
        if P.Reply(struct.unpack_from("<H", reply, 6)[0]) != P.Reply.READY:
            raise SystemExit(f"no READY: {P.decode_error(reply, P.HEADER_SIZE)}")
        clock = time.perf_counter_ns
        rtt = []
        for i in range(warmup + rounds):
            struct.pack_into("<I", score_frame, 12, i + 2)
            t0 = clock()
            send(score_frame)
            receive(len(reply))
            rtt.append(clock() - t0)
            if struct.unpack_from("<HI", reply, 6)[0] != P.Reply.SCORES:
                raise SystemExit("not a SCORES reply")
        expected = np.nan_to_num(X[:, 0]).astype(np.float64)
        if not np.array_equal(P.decode_scores(reply, P.HEADER_SIZE)[0], expected):
            raise SystemExit("the ranker's scores are not column 0 (is it trivial.py?)")
        send(P.encode_frame(P.Request.BYE, warmup + rounds + 2))
        receive(P.HEADER_SIZE)
        status = child.wait(timeout=30)
        err.seek(0)
        log = err.read().decode()
    if status != 0:
        raise SystemExit(f"the ranker exited with status {status}:\n{log}")
    found = re.search(r"airtime-timing: score_calls=(\d+) score_median_ns=(\d+) "
                      r"score_p99_ns=(\d+) score_mean_ns=(\d+)", log)
    if not found:
        raise SystemExit(f"the ranker reported no timing:\n{log}")
    calls, median, p99, mean = (int(g) for g in found.groups())
    return percentiles(rtt[warmup:]), {"calls": calls, "median": median / 1000,
                                       "p99": p99 / 1000, "mean": mean / 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--candidates", type=int, default=1000)
    parser.add_argument("--features", type=int, default=30)
    parser.add_argument("--command", default="/usr/bin/python3 examples/rankers/trivial.py")
    args = parser.parse_args()
    n, nf = args.candidates, args.features
    page_bytes = len(P.encode_score([make_page(n, nf)]))
    print(f"SCORE of 1 page, {n} candidates x {nf} features: {page_bytes} bytes; "
          f"SCORES reply {8 + 8 * n} bytes; {args.rounds} rounds")
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, {os.cpu_count()} CPUs")
    print("\n1. in process (Python overhead of the package, no pipes), us per request:")
    for name, stats in in_process(args.rounds, n, nf).items():
        print(f"   {name:28s} " + "  ".join(f"{k} {v:7.1f}" for k, v in stats.items()))
    rtt, score = round_trips(args.command, args.rounds, args.warmup, n, nf)
    print(f"\n2. round trips to `{args.command}` over pipes, us:")
    print("   round trip                   " + "  ".join(f"{k} {v:7.1f}" for k, v in rtt.items()))
    print("   inside score() (child)       " + "  ".join(
        f"{k} {score[k]:7.1f}" for k in ("median", "p99", "mean")))
    print(f"   protocol overhead            median {rtt['median'] - score['median']:7.1f}  "
          f"mean {rtt['mean'] - score['mean']:7.1f}   (round trip - score())")


if __name__ == "__main__":
    main()
