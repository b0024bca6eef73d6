"""airtime's side of the ranker protocol, written for the tests from
docs/ranker-protocol.md alone (struct and plain bytes; it does not use
airtime.protocol), so that the tests check the package against an
independent reading of the spec.
"""

import os
import struct
import subprocess
import threading

import numpy as np

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PYTHON = "/usr/bin/python3"

HELLO, FIT, SCORE, BYE = 1, 2, 3, 4
READY, FITTED, SCORES, BYE_REPLY, ERROR = 101, 102, 103, 104, 199


def frame(msg_type, seq, payload=b"", magic=b"ATRP", version=1, length=None):
    """A frame; magic, version and length can be spoiled for tests."""
    n = len(payload) if length is None else length
    return magic + struct.pack("<HHII", version, msg_type, n, seq) + payload


def string(s):
    b = s.encode("utf-8")
    return struct.pack("<I", len(b)) + b


def hello(features, n_topics=8, n_users=100, ranker="test", options=(), seed=42, world=0,
          api_version=1):
    """features: [(name, kind)]; options: [(key, value)]."""
    out = struct.pack("<II", api_version, len(features))
    for name, kind in features:
        out += string(name) + struct.pack("<I", kind)
    out += struct.pack("<II", n_topics, n_users) + string(ranker)
    out += struct.pack("<I", len(options))
    for key, value in options:
        out += string(key) + string(value)
    return out + struct.pack("<QI", seed, world)


def fit(X, y, users, shows, positions, times_us, propensities=None):
    n, nf = X.shape
    out = struct.pack("<QII", n, nf, 0 if propensities is None else 1)
    out += struct.pack(f"<{n}q", *times_us)
    if propensities is not None:
        out += struct.pack(f"<{n}d", *propensities)
    out += struct.pack(f"<{n * nf}f", *X.ravel())
    out += struct.pack(f"<{n}f", *y)
    out += struct.pack(f"<{n}I", *users) + struct.pack(f"<{n}I", *shows)
    return out + struct.pack(f"<{n}H", *positions)


def page(X, user=1, now_us=0, request_id=0, declared=(), shows=None, creators=None,
         topics=None, live=None, start_us=None):
    n, nf = X.shape
    shows = range(n) if shows is None else shows
    creators = [0] * n if creators is None else creators
    topics = [0] * n if topics is None else topics
    live = [1] * n if live is None else live
    start_us = [0] * n if start_us is None else start_us
    out = struct.pack("<IIqQII", user, len(declared), now_us, request_id, n, nf)
    out += struct.pack(f"<{n}q", *start_us) + struct.pack(f"<{n}I", *shows)
    out += struct.pack(f"<{n}I", *creators) + struct.pack(f"<{n * nf}f", *X.ravel())
    out += struct.pack(f"<{len(declared)}H", *declared) + struct.pack(f"<{n}H", *topics)
    return out + struct.pack(f"<{n}B", *live)


def score(*pages):
    return struct.pack("<I", len(pages)) + b"".join(pages)


def parse_reply(data):
    """(type, seq, decoded payload) of one whole reply frame."""
    magic, version, msg_type, length, seq = struct.unpack_from("<4sHHII", data)
    assert magic == b"ATRP" and version == 1, (magic, version)
    body = data[16:16 + length]
    assert len(body) == length
    if msg_type == READY:
        api, n = struct.unpack_from("<II", body)
        assert len(body) == 8 + n
        return msg_type, seq, (api, body[8:].decode())
    if msg_type == SCORES:
        (n_pages,) = struct.unpack_from("<I", body)
        pos, pages = 4, []
        for _ in range(n_pages):
            (n,) = struct.unpack_from("<I", body, pos)
            pages.append(list(struct.unpack_from(f"<{n}d", body, pos + 4)))
            pos += 4 + 8 * n
        assert pos == len(body)
        return msg_type, seq, pages
    if msg_type == ERROR:
        (n,) = struct.unpack_from("<I", body)
        assert len(body) == 4 + n
        return msg_type, seq, body[4:].decode()
    assert length == 0, (msg_type, length)
    return msg_type, seq, None


class Child:
    """A ranker process, spoken to as airtime would."""

    def __init__(self, script, env=None, timeout=120):
        """env: variables to set, or to remove when None."""
        command = [PYTHON, script] if isinstance(script, str) else script
        env = {k: v for k, v in {**os.environ, **(env or {})}.items() if v is not None}
        self.proc = subprocess.Popen(command, cwd=REPO, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        self.seq = 0
        self.watchdog = threading.Timer(timeout, self.proc.kill)
        self.watchdog.start()

    def send_raw(self, data):
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def request(self, msg_type, payload=b""):
        """Send a request, return the parsed reply (None if the child closed
        its output)."""
        self.seq += 1
        self.send_raw(frame(msg_type, self.seq, payload))
        return self.reply()

    def reply(self):
        head = self.proc.stdout.read(16)
        if len(head) < 16:
            return None
        (length,) = struct.unpack_from("<I", head, 8)
        return parse_reply(head + self.proc.stdout.read(length))

    def finish(self):
        """Close stdin, wait; (exit status, stdout left over, stderr)."""
        try:
            rest, err = self.proc.communicate(timeout=30)
        finally:
            self.close()
        return self.proc.returncode, rest, err.decode(errors="replace")

    def close(self):
        """Kill the child if it still runs (after a failed test)."""
        self.watchdog.cancel()
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()


def auc(scores, labels):
    """The area under the ROC curve (ties count half)."""
    scores, labels = np.asarray(scores), np.asarray(labels, dtype=bool)
    order = np.argsort(scores, kind="stable")
    ranks = np.empty(len(scores))
    ranks[order] = np.arange(1, len(scores) + 1)
    for value in np.unique(scores):  # average the ranks of ties
        tied = scores == value
        ranks[tied] = ranks[tied].mean()
    n_pos, n_neg = labels.sum(), (~labels).sum()
    return (ranks[labels].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def synthetic(n, nf=6, seed=0, missing=0.05):
    """Rows with a planted logistic signal: (X float32 with NaNs, y)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, nf)).astype(np.float32)
    w = np.zeros(nf)
    w[:3] = [2.0, -1.5, 1.0]
    p = 1 / (1 + np.exp(-(X.astype(np.float64) @ w - 1.0)))
    y = (rng.random(n) < p).astype(np.float32)
    X[rng.random(X.shape) < missing] = np.nan
    return X, y
