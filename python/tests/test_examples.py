"""End to end: each example ranker as a child process, spoken to as airtime
would (by the independent encoder in hostside.py)."""

import importlib.util
import os
import tempfile
import textwrap
import unittest

import numpy as np

from . import hostside as H

N_FEATURES = 6
FEATURES = [(f"f{i}", 1 + i % 6) for i in range(N_FEATURES)]
HAVE_SKLEARN = importlib.util.find_spec("sklearn") is not None


def script(name):
    return os.path.join("examples", "rankers", name)


def requests(n_train=3000, n_test=1200, page_size=200, seed=1):
    """HELLO, FIT and SCOREs of held-out rows with a planted signal; and the
    held-out labels, page by page."""
    X, y = H.synthetic(n_train + n_test, N_FEATURES, seed=seed)
    rng = np.random.default_rng(seed)
    out = [(H.HELLO, H.hello(FEATURES, ranker="example", seed=seed)),
           (H.FIT, H.fit(X[:n_train], y[:n_train], rng.integers(0, 100, n_train),
                         rng.integers(0, 500, n_train), rng.integers(0, 20, n_train),
                         np.arange(n_train) * 1000, rng.random(n_train)))]
    labels = []
    for k, start in enumerate(range(n_train, n_train + n_test, page_size)):
        rows = slice(start, start + page_size)
        n = len(y[rows])
        out.append((H.SCORE, H.score(H.page(
            X[rows], user=k, now_us=10**9 + k, request_id=k, declared=[1, 3],
            shows=np.arange(n) + 7 * k, creators=np.arange(n) % 13,
            topics=np.arange(n) % 8, live=np.arange(n) % 2, start_us=np.arange(n) * 60))))
        labels.append(y[rows])
    out.append((H.SCORE, H.score(H.page(X[:0]))))  # an empty page
    out.append((H.SCORE, H.score(H.page(X[:5]), H.page(X[5:8]))))  # two pages
    return out, labels


def converse(name, reqs):
    """Replies to reqs then BYE; (replies, exit status, stderr)."""
    child = H.Child(script(name))
    try:
        replies = [child.request(t, p) for t, p in reqs]
        replies.append(child.request(H.BYE))
        status, rest, err = child.finish()
    finally:
        child.close()
    return replies, status, rest, err


class ExampleTest:
    """What every example ranker must do; subclasses name the script."""

    name = None
    min_auc = None  # on the held-out rows

    @classmethod
    def setUpClass(cls):
        cls.reqs, cls.labels = requests()
        cls.runs = [converse(cls.name, cls.reqs) for _ in range(2)]

    def test_replies(self):
        replies, status, rest, err = self.runs[0]
        self.assertEqual(status, 0, err)
        self.assertEqual(rest, b"")
        types = [r[0] for r in replies]
        self.assertEqual(types, [H.READY, H.FITTED] + [H.SCORES] * (len(self.reqs) - 2)
                         + [H.BYE_REPLY], replies[-1])
        self.assertEqual([r[1] for r in replies], list(range(1, len(replies) + 1)))
        self.assertEqual(replies[0][2][0], 1)
        scores = [r[2] for r in replies[2:-1]]
        self.assertEqual([len(p) for p in scores[:-2]], [1] * len(self.labels))
        self.assertEqual([len(s[0]) for s in scores[:-2]], [len(y) for y in self.labels])
        self.assertEqual(scores[-2], [[]])
        self.assertEqual([len(s) for s in scores[-1]], [5, 3])
        flat = np.concatenate([s for page in scores for s in page])
        self.assertTrue(np.isfinite(flat).all())

    def test_deterministic(self):
        self.assertEqual(self.runs[0][0], self.runs[1][0])

    def test_recovers_the_signal(self):
        scores = np.concatenate([r[2][0] for r in self.runs[0][0][2:2 + len(self.labels)]])
        auc = H.auc(scores, np.concatenate(self.labels))
        self.assertGreater(auc, self.min_auc)


class TestTrivial(ExampleTest, unittest.TestCase):
    name = "trivial.py"
    min_auc = 0.7  # column 0 carries the strongest planted weight


class TestLogReg(ExampleTest, unittest.TestCase):
    name = "logreg.py"
    min_auc = 0.8


@unittest.skipUnless(HAVE_SKLEARN, "needs python3-sklearn")
class TestGBM(ExampleTest, unittest.TestCase):
    name = "gbm.py"
    min_auc = 0.75


class TestChildProcess(unittest.TestCase):
    """How a ranker process behaves: errors, stdout hygiene, exit status."""

    def write_ranker(self, body):
        directory = tempfile.TemporaryDirectory()
        self.addCleanup(directory.cleanup)
        path = os.path.join(directory.name, "mine.py")
        with open(path, "w") as f:
            f.write(textwrap.dedent(f"""\
                import sys
                sys.path.insert(0, {os.path.join(H.REPO, "python")!r})
                import airtime
                """) + textwrap.dedent(body))
        return path

    def test_user_exception_gives_error_and_status_1(self):
        path = self.write_ranker("""\
            class Mine(airtime.Ranker):
                def score(self, X, context):
                    raise KeyError("no such user")

            airtime.serve(Mine)
            """)
        child = H.Child(path)
        self.addCleanup(child.close)
        self.assertEqual(child.request(H.HELLO, H.hello(FEATURES))[0], H.READY)
        kind, seq, message = child.request(H.SCORE, H.score(H.page(np.zeros((3, N_FEATURES)))))
        self.assertEqual((kind, seq), (H.ERROR, 2))
        self.assertEqual(message, "KeyError: 'no such user' (at " + path + ":6 in score)")
        status, rest, err = child.finish()
        self.assertEqual((status, rest), (1, b""))
        self.assertIn("Traceback", err)
        self.assertIn("raise KeyError", err)

    def test_print_goes_to_stderr(self):
        """print() and writes to fd 1 go to standard error once serve() runs
        (and before, while Python still buffers them)."""
        path = self.write_ranker("""\
            import os
            print("at import")
            class Mine(airtime.Ranker):
                def score(self, X, context):
                    print("scoring", len(X))
                    os.write(1, b"raw fd 1\\n")
                    return X[:, 0]

            airtime.serve(Mine())
            """)
        child = H.Child(path, env={"PYTHONUNBUFFERED": None})
        self.addCleanup(child.close)
        child.request(H.HELLO, H.hello(FEATURES))
        kind, _, scores = child.request(H.SCORE, H.score(H.page(np.ones((2, N_FEATURES)))))
        self.assertEqual((kind, scores), (H.SCORES, [[1.0, 1.0]]))
        self.assertEqual(child.request(H.BYE)[0], H.BYE_REPLY)
        status, rest, err = child.finish()
        self.assertEqual((status, rest), (0, b""))
        self.assertIn("at import", err)
        self.assertIn("scoring 2", err)
        self.assertIn("raw fd 1", err)

    def test_malformed_request(self):
        child = H.Child(script("trivial.py"))
        self.addCleanup(child.close)
        child.send_raw(H.frame(H.HELLO, 1, H.hello(FEATURES), version=9))
        kind, seq, message = child.reply()
        self.assertEqual((kind, seq), (H.ERROR, 0))
        self.assertEqual(message, "ranker protocol error: protocol version 9; this package "
                                  "speaks version 1")
        status, _, err = child.finish()
        self.assertEqual(status, 1)
        self.assertIn("protocol version 9", err)

    def test_option_refused(self):
        child = H.Child(script("logreg.py"))
        self.addCleanup(child.close)
        kind, _, message = child.request(H.HELLO, H.hello(FEATURES, options=[("l3", "1")]))
        self.assertEqual(kind, H.ERROR)
        self.assertIn("ValueError: unknown option(s) l3; known: l2, newton_steps", message)
        self.assertEqual(child.finish()[0], 1)

    def test_input_closed_without_bye(self):
        child = H.Child(script("trivial.py"))
        self.addCleanup(child.close)
        child.request(H.HELLO, H.hello(FEATURES))
        status, _, err = child.finish()
        self.assertEqual(status, 1)
        self.assertIn("input closed before BYE", err)


if __name__ == "__main__":
    unittest.main()
