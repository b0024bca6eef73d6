"""The serve loop, in process: requests in, replies and exit status out."""

import io
import unittest

import numpy as np

from . import hostside as H
from airtime import Ranker, run_session

FEATURES = [("a", 1), ("b", 2), ("c", 6)]


def conversation(*requests):
    """Frames numbered 1, 2, ... from (type, payload) pairs."""
    return b"".join(H.frame(t, i + 1, p) for i, (t, p) in enumerate(requests))


def hello(**kwargs):
    return (H.HELLO, H.hello(FEATURES, **kwargs))


def score_request(n=4, pages=1):
    X = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
    return (H.SCORE, H.score(*[H.page(X, user=5, now_us=123, request_id=9, declared=[2, 1],
                                      shows=range(100, 100 + n))] * pages))


def fit_request(n=10, propensities=None):
    X = np.ones((n, 3), np.float32)
    return (H.FIT, H.fit(X, [1] * n, range(n), range(n), [0] * n, range(n), propensities))


def serve(ranker, data, timing=False):
    """(exit status, [parsed replies], log text)."""
    out, log = io.BytesIO(), io.StringIO()
    status = run_session(ranker, io.BytesIO(data), out, log=log, timing=timing)
    replies, data = [], out.getvalue()
    while data:
        length = int.from_bytes(data[8:12], "little")
        replies.append(H.parse_reply(data[:16 + length]))
        data = data[16 + length:]
    return status, replies, log.getvalue()


class Recorder(Ranker):
    """Remembers what it was given; scores the first column."""

    def setup(self, schema):
        self.setup_schema = schema

    def fit(self, X, y, **kwargs):
        self.fitted = (X.copy(), y.copy(), kwargs)

    def score(self, X, context):
        self.context = context
        return X[:, 0]


class Returns(Ranker):
    """score() returns a fixed thing."""

    def __init__(self, value):
        self.value = value

    def score(self, X, context):
        return self.value(X) if callable(self.value) else self.value


class TestSession(unittest.TestCase):

    def test_conversation(self):
        r = Recorder()
        status, replies, log = serve(r, conversation(
            hello(options=[("k", "v")], seed=7, world=2), fit_request(propensities=[0.5] * 10),
            score_request(), score_request(0, pages=3), (H.BYE, b"")))
        self.assertEqual(status, 0, log)
        self.assertEqual(replies, [(H.READY, 1, (1, "Recorder")), (H.FITTED, 2, None),
                                   (H.SCORES, 3, [[0.0, 3.0, 6.0, 9.0]]),
                                   (H.SCORES, 4, [[], [], []]), (H.BYE_REPLY, 5, None)])
        schema = r.setup_schema
        self.assertIs(r.schema, schema)
        self.assertEqual(schema.feature_names, ["a", "b", "c"])
        self.assertEqual((schema.options, schema.seed, schema.world), ({"k": "v"}, 7, 2))
        X, y, kwargs = r.fitted
        self.assertEqual(X.shape, (10, 3))
        self.assertEqual(sorted(kwargs), ["features", "positions", "propensities", "shows",
                                          "times_us", "users"])
        self.assertEqual(kwargs["features"], schema.features)
        np.testing.assert_array_equal(kwargs["propensities"], [0.5] * 10)
        ctx = r.context
        self.assertEqual((ctx.user, ctx.now_us, ctx.request_id, ctx.n), (5, 123, 9, 4))
        self.assertIs(ctx.schema, schema)

    def test_empty_pages_are_not_scored(self):
        r = Returns(lambda X: 1 / 0)
        status, replies, _ = serve(r, conversation(hello(), score_request(0, 2), (H.BYE, b"")))
        self.assertEqual((status, replies[1]), (0, (H.SCORES, 2, [[], []])))

    def test_context_of_a_page(self):
        r = Recorder()
        serve(r, conversation(hello(), score_request(), (H.BYE, b"")))
        c = r.context
        np.testing.assert_array_equal(c.declared_topics, [2, 1])
        np.testing.assert_array_equal(c.candidates.shows, [100, 101, 102, 103])
        self.assertEqual(len(c.candidates), 4)

    def test_fit_without_propensities_and_name(self):
        r = Recorder()
        r.name = "rec 2"
        status, replies, _ = serve(r, conversation(hello(), fit_request(), (H.BYE, b"")))
        self.assertEqual(replies[0], (H.READY, 1, (1, "rec 2")))
        self.assertIsNone(r.fitted[2]["propensities"])
        self.assertEqual(status, 0)

    def test_default_fit_is_a_no_op(self):
        status, replies, _ = serve(Returns(lambda X: X[:, 1]),
                                   conversation(hello(), fit_request(), (H.BYE, b"")))
        self.assertEqual((status, replies[1]), (0, (H.FITTED, 2, None)))

    def assert_error(self, ranker, requests, *fragments):
        status, replies, log = serve(ranker, conversation(*requests))
        self.assertEqual(status, 1)
        kind, seq, message = replies[-1]
        self.assertEqual((kind, seq), (H.ERROR, len(requests)), message)
        for fragment in fragments:
            self.assertIn(fragment, message)
        self.assertNotIn("\n", message)
        self.assertIn(message, log)
        return message, log

    def test_user_exception(self):
        class Broken(Ranker):
            def score(self, X, context):
                return X[:, 0] / self.missing

        message, log = self.assert_error(
            Broken(), [hello(), score_request()],
            "AttributeError: 'Broken' object has no attribute 'missing'",
            "(at python/tests/test_ranker.py:", "in score)")
        self.assertIn("Traceback", log)

    def test_exception_in_numpy_names_the_user_line(self):
        class Bad(Ranker):
            def setup(self, schema):
                np.zeros(3).reshape(2, 2)

            def score(self, X, context):
                return X[:, 0]

        self.assert_error(Bad(), [hello()], "ValueError: cannot reshape",
                          "test_ranker.py:", "in setup)")

    def test_bad_scores(self):
        cases = [
            (lambda X: X[:3, 0], "returned 3 scores; expected 4 scores, one per candidate"),
            (lambda X: np.ones((4, 2)), "returned shape (4, 2); expected 4 scores"),
            (lambda X: 1.0, "returned shape (); expected 4"),
            (lambda X: np.where(np.arange(4) == 2, np.nan, 0.0),
             "returned nan for candidate 2 (show 102); every score must be finite"),
            (lambda X: [0, 0, 0, np.inf], "returned inf for candidate 3 (show 103)"),
            (lambda X: ["a"] * 4, "returned list, not numbers"),
        ]
        for value, fragment in cases:
            with self.subTest(fragment):
                self.assert_error(Returns(value), [hello(), score_request()],
                                  "Returns.score (python/tests/test_ranker.py:", fragment)
        self.assert_error(Returns(lambda X: [1, 2, 3, np.nan]), [hello(), score_request(4, 2)],
                          "candidate 3 (show 103) of page 0 of 2")

    def test_no_score_method(self):
        self.assert_error(Ranker(), [hello()], "Ranker does not define score()")

    def test_protocol_errors(self):
        cases = [
            ([(H.FIT, b"")], "ranker protocol error: FIT before HELLO"),
            ([score_request()], "SCORE before HELLO"),
            ([hello(), hello()], "a second HELLO"),
            ([hello(), (7, b"")], "unknown request type 7"),
            ([hello(), (H.BYE, b"x")], "BYE has a payload of 1 bytes"),
            ([hello(api_version=2)], "airtime speaks ranker API version 2; this package "
                                     "speaks version 1"),
            ([(H.HELLO, H.hello([("a", 1)])), score_request()],
             "SCORE page 0 has 3 features per candidate; HELLO declared 1"),
        ]
        for requests, fragment in cases:
            with self.subTest(fragment):
                self.assert_error(Recorder(), requests, fragment)

    def test_wrong_sequence(self):
        data = H.frame(H.HELLO, 1, H.hello(FEATURES)) + H.frame(H.BYE, 3)
        status, replies, _ = serve(Recorder(), data)
        self.assertEqual(status, 1)
        self.assertEqual(replies[1][:2], (H.ERROR, 3))
        self.assertIn("request sequence number 3; expected 2", replies[1][2])

    def test_bad_frame_gets_error_with_sequence_zero(self):
        status, replies, _ = serve(Recorder(), H.frame(H.HELLO, 1, magic=b"HTTP"))
        self.assertEqual((status, replies[0][:2]), (1, (H.ERROR, 0)))
        self.assertIn("bad magic b'HTTP'", replies[0][2])

    def test_bad_frame_after_hello(self):
        status, replies, _ = serve(Recorder(), conversation(hello()) + b"GET / HTTP/1.1\r\n")
        self.assertEqual((status, [r[:2] for r in replies]), (1, [(H.READY, 1), (H.ERROR, 0)]))

    def test_input_closed_before_bye(self):
        status, replies, log = serve(Recorder(), conversation(hello()))
        self.assertEqual((status, len(replies)), (1, 1))
        self.assertIn("input closed before BYE", log)

    def test_timing_report(self):
        _, _, log = serve(Recorder(), conversation(hello(), score_request(), (H.BYE, b"")),
                          timing=True)
        self.assertRegex(log, r"airtime-timing: score_calls=1 score_median_ns=\d+ ")
        _, _, log = serve(Recorder(), conversation(hello(), score_request(), (H.BYE, b"")))
        self.assertNotIn("airtime-timing", log)


if __name__ == "__main__":
    unittest.main()
