"""The frame codec: round trips of every message type, agreement with the
independent host-side encoder, and clear errors for malformed input."""

import io
import struct
import unittest

import numpy as np

from . import hostside
from airtime import protocol as P


def schema(nf=3, options=None):
    return P.Schema(features=tuple(P.Feature(f"f{i}", 1 + i % 6) for i in range(nf)),
                    n_topics=12, n_users=1000, ranker="mine",
                    options={} if options is None else options, seed=2**64 - 1, world=3)


def make_page(n, nf, seed=0, n_declared=2):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, nf)).astype(np.float32)
    if n:
        X[0, 0] = np.nan
    cands = P.Candidates(shows=rng.integers(0, 2**32, n, dtype=np.uint32),
                         creators=rng.integers(0, 2**32, n, dtype=np.uint32),
                         topics=rng.integers(0, 2**16, n, dtype=np.uint16),
                         live=rng.integers(0, 2, n, dtype=np.uint8),
                         start_us=rng.integers(-2**63, 2**63 - 1, n, dtype=np.int64))
    ctx = P.Context(user=7, now_us=-5, request_id=2**64 - 2,
                    declared_topics=np.arange(n_declared, dtype=np.uint16) + 3,
                    candidates=cands)
    return X, ctx


def make_training(n, nf, propensities, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, nf)).astype(np.float32)
    return P.TrainingSet(X=X, y=(rng.random(n) < 0.3).astype(np.float32),
                         positions=rng.integers(0, 30, n, dtype=np.uint16),
                         propensities=rng.random(n) if propensities else None,
                         users=rng.integers(0, 2**32, n, dtype=np.uint32),
                         shows=rng.integers(0, 2**32, n, dtype=np.uint32),
                         times_us=rng.integers(0, 2**62, n, dtype=np.int64))


def read_frames(data, **kwargs):
    reader = P.FrameReader(io.BytesIO(data), **kwargs)
    frames = []
    while True:
        try:
            frames.append(reader.read())
        except P.StreamClosed:
            return frames


class TestRoundTrip(unittest.TestCase):

    def assert_pages_equal(self, got, want):
        self.assertEqual(len(got), len(want))
        for (gX, g), (wX, w) in zip(got, want):
            np.testing.assert_array_equal(gX, wX)
            self.assertEqual(gX.shape, wX.shape)
            self.assertEqual((g.user, g.now_us, g.request_id), (w.user, w.now_us, w.request_id))
            np.testing.assert_array_equal(g.declared_topics, w.declared_topics)
            for name in P.Candidates.__slots__:
                np.testing.assert_array_equal(getattr(g.candidates, name),
                                              getattr(w.candidates, name))

    def test_hello(self):
        for s in (schema(), schema(0), schema(5, {"l2": "0.01", "name": "ünïcode = x"})):
            with self.subTest(n_features=s.n_features, options=s.options):
                self.assertEqual(P.decode_hello(P.encode_hello(s)), s)

    def test_hello_matches_host_encoder(self):
        s = schema(4, {"a": "1", "b": "two"})
        host = hostside.hello([(f.name, f.kind) for f in s.features], n_topics=12,
                              n_users=1000, ranker="mine", options=list(s.options.items()),
                              seed=2**64 - 1, world=3)
        self.assertEqual(P.encode_hello(s), host)

    def test_fit(self):
        for n, propensities in ((0, False), (0, True), (1, True), (500, False), (500, True)):
            with self.subTest(n=n, propensities=propensities):
                ts = make_training(n, 7, propensities)
                got = P.decode_fit(P.encode_fit(ts), schema=schema(7))
                for name in ("X", "y", "positions", "users", "shows", "times_us"):
                    np.testing.assert_array_equal(getattr(got, name), getattr(ts, name))
                if propensities:
                    np.testing.assert_array_equal(got.propensities, ts.propensities)
                else:
                    self.assertIsNone(got.propensities)
                self.assertEqual(got.X.shape, (n, 7))

    def test_fit_matches_host_encoder(self):
        ts = make_training(20, 3, True)
        host = hostside.fit(ts.X, ts.y, ts.users, ts.shows, ts.positions, ts.times_us,
                            ts.propensities)
        self.assertEqual(P.encode_fit(ts), host)

    def test_score(self):
        cases = {"no pages": [], "0 candidates": [make_page(0, 30, n_declared=0)],
                 "one page": [make_page(1000, 30)],
                 "several pages": [make_page(n, 4, seed=n, n_declared=n % 3)
                                   for n in (3, 0, 17, 1)]}
        for name, pages in cases.items():
            with self.subTest(name):
                nf = pages[0][0].shape[1] if pages else 0
                got = P.decode_score(P.encode_score(pages), schema=schema(nf))
                self.assert_pages_equal(got, pages)

    def test_score_matches_host_encoder(self):
        pages = [make_page(5, 2, seed=1), make_page(3, 2, seed=2, n_declared=1)]
        host = hostside.score(*[
            hostside.page(X, user=c.user, now_us=c.now_us, request_id=c.request_id,
                          declared=c.declared_topics, shows=c.candidates.shows,
                          creators=c.candidates.creators, topics=c.candidates.topics,
                          live=c.candidates.live, start_us=c.candidates.start_us)
            for X, c in pages])
        self.assertEqual(P.encode_score(pages), host)

    def test_replies(self):
        self.assertEqual(P.decode_ready(P.encode_ready("logreg 0.3")), (1, "logreg 0.3"))
        self.assertEqual(P.decode_ready(P.encode_ready("")), (1, ""))
        pages = [np.array([1.5, -2.0, 1e300]), np.array([]), np.arange(1000.0)]
        got = P.decode_scores(P.encode_scores(pages))
        self.assertEqual(len(got), 3)
        for g, w in zip(got, pages):
            np.testing.assert_array_equal(g, w)
        self.assertEqual(P.decode_scores(P.encode_scores([])), [])
        self.assertEqual(P.decode_error(P.encode_error("it\nbroke  here")), "it broke here")
        long = P.decode_error(P.encode_error("é" * 2000))
        self.assertLessEqual(len(long.encode()), P.MAX_ERROR_BYTES)
        for decode in (P.decode_fitted, P.decode_bye):
            self.assertIsNone(decode(b""))

    def test_frames_over_a_stream(self):
        s = schema(30)
        page = make_page(1000, 30)
        ts = make_training(50, 30, True)
        sent = [(P.Request.HELLO, P.encode_hello(s)), (P.Request.FIT, P.encode_fit(ts)),
                (P.Request.SCORE, P.encode_score([page])), (P.Request.BYE, b"")]
        data = b"".join(P.encode_frame(t, i + 1, p) for i, (t, p) in enumerate(sent))
        # A tiny buffer forces growth; a tiny reuse limit forces own buffers.
        for kwargs in ({}, {"capacity": 8}, {"capacity": 8, "reuse_limit": 64}):
            with self.subTest(**kwargs):
                frames = read_frames(data, **kwargs)
                self.assertEqual([(f.type, f.seq) for f in frames],
                                 [(t, i + 1) for i, (t, _) in enumerate(sent)])
                self.assertEqual([f.payload() for f in frames], [p for _, p in sent])

    def test_score_reply_writer(self):
        out = io.BytesIO()
        writer = P.FrameWriter(out, capacity=16)
        pages = [np.arange(3.0), np.array([]), np.linspace(-1, 1, 2000)]
        writer.send_scores(9, pages)
        writer.send_scores(10, pages[:1])
        writer.send(P.Reply.BYE, 11)
        data = out.getvalue()
        self.assertEqual(data[:16 + 4 + 28 + 4 + 4 + 16000],
                         P.encode_frame(P.Reply.SCORES, 9, P.encode_scores(pages)))
        frames = read_frames(data)
        self.assertEqual([(f.type, f.seq) for f in frames],
                         [(P.Reply.SCORES, 9), (P.Reply.SCORES, 10), (P.Reply.BYE, 11)])
        self.assertEqual(hostside.parse_reply(data)[2], [list(p) for p in pages])

    def test_kept_arrays_stay_valid(self):
        """Arrays of a frame still referenced when the next frame is read keep
        their values (the reader moves to a new buffer)."""
        a, b = make_page(10, 2, seed=1), make_page(10, 2, seed=2)
        data = (P.encode_frame(P.Request.SCORE, 1, P.encode_score([a]))
                + P.encode_frame(P.Request.SCORE, 2, P.encode_score([b])))
        reader = P.FrameReader(io.BytesIO(data))
        f = reader.read()
        kept = P.decode_score(f.buf, f.offset, f.length)[0][0][:, 1]
        del f
        f = reader.read()
        np.testing.assert_array_equal(kept, a[0][:, 1])
        np.testing.assert_array_equal(P.decode_score(f.buf, f.offset, f.length)[0][0], b[0])

    def test_buffer_reused_when_nothing_is_kept(self):
        page = P.encode_frame(P.Request.SCORE, 1, P.encode_score([make_page(10, 2)]))
        reader = P.FrameReader(io.BytesIO(page * 3))
        bufs = []
        for _ in range(3):
            f = reader.read()
            P.decode_score(f.buf, f.offset, f.length)
            bufs.append(id(f.buf))
            del f
        self.assertEqual(len(set(bufs)), 1)


class TestMalformed(unittest.TestCase):

    def assert_read_error(self, data, *fragments):
        with self.assertRaises(P.ProtocolError) as cm:
            read_frames(data)
        for fragment in fragments:
            self.assertIn(fragment, str(cm.exception))
        self.assertNotIsInstance(cm.exception, P.StreamClosed)

    def test_header(self):
        ok = hostside.frame(hostside.BYE, 1)
        self.assertEqual(len(read_frames(ok)), 1)
        self.assert_read_error(hostside.frame(4, 1, magic=b"ATRX"), "bad magic", "ATRX")
        self.assert_read_error(hostside.frame(4, 1, version=2), "protocol version 2")
        self.assert_read_error(hostside.frame(3, 1, length=(1 << 30) + 1), "exceeds", "1 GiB")
        self.assert_read_error(ok[:9], "inside a frame header", "9 of 16")
        self.assert_read_error(hostside.frame(3, 1, b"abcdef")[:-2],
                               "inside a frame of type 3", "20 of 22")
        self.assert_read_error(hostside.frame(3, 1, b"x" * 100, length=100)[:-1]
                               + b"", "inside a frame")

    def test_truncated_large_frame(self):
        data = hostside.frame(2, 1, b"x" * 100)[:-10]
        with self.assertRaisesRegex(P.ProtocolError, "106 of 116"):
            P.FrameReader(io.BytesIO(data), reuse_limit=32).read()

    def test_hello(self):
        good = hostside.hello([("a", 1), ("b", 2)], options=[("k", "v")])
        self.assertEqual(P.decode_hello(good).options, {"k": "v"})
        for cut in (3, 10, len(good) - 1):
            with self.subTest(cut=cut):
                with self.assertRaisesRegex(P.ProtocolError, "HELLO payload truncated"):
                    P.decode_hello(good[:cut])
        with self.assertRaisesRegex(P.ProtocolError, "2 bytes after its last field"):
            P.decode_hello(good + b"\0\0")
        with self.assertRaisesRegex(P.ProtocolError, "not UTF-8"):
            P.decode_hello(hostside.hello([("a", 1)]).replace(b"a", b"\xff", 1))
        with self.assertRaisesRegex(P.ProtocolError, "option 'k' appears twice"):
            P.decode_hello(hostside.hello([], options=[("k", "1"), ("k", "2")]))
        huge = struct.pack("<II", 1, 1) + struct.pack("<I", 2**32 - 1) + b"abc"
        with self.assertRaisesRegex(P.ProtocolError, "feature 0 name needs 4294967295 bytes"):
            P.decode_hello(huge)

    def test_fit(self):
        X, y = np.zeros((4, 2), np.float32), np.zeros(4, np.float32)
        good = hostside.fit(X, y, [0] * 4, [0] * 4, [0] * 4, [0] * 4)
        self.assertEqual(P.decode_fit(good, schema=schema(2)).n, 4)
        with self.assertRaisesRegex(P.ProtocolError, "FIT payload truncated: 15 bytes"):
            P.decode_fit(good[:15])
        with self.assertRaisesRegex(P.ProtocolError, "FIT payload is .* need"):
            P.decode_fit(good[:-1])
        with self.assertRaisesRegex(P.ProtocolError, "FIT payload is .* need"):
            P.decode_fit(good + b"\0")
        with self.assertRaisesRegex(P.ProtocolError, "2 features per row; HELLO declared 3"):
            P.decode_fit(good, schema=schema(3))
        with self.assertRaisesRegex(P.ProtocolError, "unknown bits"):
            P.decode_fit(good[:12] + struct.pack("<I", 2) + good[16:])
        huge_n = struct.pack("<QII", 2**63, 2, 0) + good[16:]
        with self.assertRaisesRegex(P.ProtocolError, "9223372036854775808 rows"):
            P.decode_fit(huge_n)

    def test_score(self):
        X = np.ones((3, 2), np.float32)
        good = hostside.score(hostside.page(X, declared=[1, 2]))
        self.assertEqual(len(P.decode_score(good, schema=schema(2))), 1)
        with self.assertRaisesRegex(P.ProtocolError, "no n_pages"):
            P.decode_score(b"\1\0")
        with self.assertRaisesRegex(P.ProtocolError, "header of page 0"):
            P.decode_score(good[:20])
        with self.assertRaisesRegex(P.ProtocolError, r"page 0 \(3 candidates x 2 features, "
                                    r"2 declared topics\) needs"):
            P.decode_score(good[:-1])
        with self.assertRaisesRegex(P.ProtocolError, "1 bytes after its last page"):
            P.decode_score(good + b"\0")
        with self.assertRaisesRegex(P.ProtocolError, "header of page 1 of 2"):
            P.decode_score(struct.pack("<I", 2) + good[4:])
        with self.assertRaisesRegex(P.ProtocolError, "2 features per candidate; HELLO "
                                    "declared 30"):
            P.decode_score(good, schema=schema(30))

    def test_replies(self):
        with self.assertRaisesRegex(P.ProtocolError, "FITTED has a payload of 1 bytes"):
            P.decode_fitted(b"\0")
        with self.assertRaisesRegex(P.ProtocolError, "BYE has a payload"):
            P.decode_bye(b"\0\0")
        with self.assertRaisesRegex(P.ProtocolError, "SCORES payload truncated"):
            P.decode_scores(P.encode_scores([np.ones(3)])[:-1])
        with self.assertRaisesRegex(P.ProtocolError, "ERROR payload truncated"):
            P.decode_error(b"\5\0\0\0abc")


if __name__ == "__main__":
    unittest.main()
