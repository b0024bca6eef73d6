"""airtime.results on a small results.db made here."""

import importlib.util
import os
import sqlite3
import tempfile
import unittest

from airtime import results

HAVE_PANDAS = importlib.util.find_spec("pandas") is not None


class TestResults(unittest.TestCase):

    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)
        con = sqlite3.connect(os.path.join(self.dir.name, "results.db"))
        con.executescript('''
            CREATE TABLE metrics (seq INTEGER, run_id INTEGER, name TEXT, value REAL);
            CREATE TABLE runs (run_id INTEGER PRIMARY KEY, name TEXT, seed INTEGER);
            CREATE TABLE "odd ""name""" (x INTEGER);
            CREATE INDEX metrics_by_name ON metrics (name);
            CREATE VIEW v AS SELECT * FROM runs;
            INSERT INTO runs VALUES (1, 'default', -1);
            INSERT INTO metrics VALUES (1, 1, 'likes_per_user', 0.5), (2, 1, 'lift', NULL);
            ''')
        con.commit()
        con.close()

    def test_tables(self):
        self.assertEqual(results.tables(self.dir.name), ["runs", "metrics", 'odd "name"'])
        db = os.path.join(self.dir.name, "results.db")
        self.assertEqual(results.tables(db), ["runs", "metrics", 'odd "name"'])

    @unittest.skipUnless(HAVE_PANDAS, "needs python3-pandas")
    def test_load_and_read(self):
        dfs = results.load(self.dir.name)
        self.assertEqual(list(dfs), ["runs", "metrics", 'odd "name"'])
        self.assertEqual(list(dfs["runs"].columns), ["run_id", "name", "seed"])
        self.assertEqual(dfs["runs"]["seed"].tolist(), [-1])
        metrics = results.read(self.dir.name, "metrics")
        self.assertEqual(metrics["name"].tolist(), ["likes_per_user", "lift"])
        self.assertTrue(metrics["value"].isna().tolist()[1])
        self.assertEqual(len(results.read(self.dir.name, 'odd "name"')), 0)

    @unittest.skipUnless(HAVE_PANDAS, "needs python3-pandas")
    def test_bandit_spreads_the_features(self):
        import struct
        con = sqlite3.connect(os.path.join(self.dir.name, "results.db"))
        con.executescript('''
            CREATE TABLE feature_columns (run_id INTEGER, i INTEGER, name TEXT, kind TEXT);
            CREATE TABLE impressions (run_id INTEGER, round INTEGER, position INTEGER,
                                      propensity REAL, features BLOB);
            INSERT INTO feature_columns VALUES (1, 0, 'pit_likes', 'pit'), (1, 1, 'ctx', 'context');
            ''')
        con.execute("INSERT INTO impressions VALUES (1, 0, 1, 0.5, ?), (1, 0, 0, 0.25, ?)",
                    (struct.pack("<2f", 3.0, float("nan")), struct.pack("<2f", 1.0, 2.0)))
        con.commit()
        con.close()
        df = results.bandit(self.dir.name)
        self.assertEqual(list(df.columns), ["run_id", "round", "position", "propensity",
                                            "x_pit_likes", "x_ctx"])
        self.assertEqual(df["position"].tolist(), [0, 1])
        self.assertEqual(df["x_pit_likes"].tolist(), [1.0, 3.0])
        self.assertTrue(df["x_ctx"].isna().tolist()[1])

    def test_errors(self):
        with self.assertRaisesRegex(LookupError, "no table 'series'; it has runs, metrics"):
            results.read(self.dir.name, "series")
        with self.assertRaisesRegex(FileNotFoundError, "no results.db at"):
            results.tables(os.path.join(self.dir.name, "nowhere"))


if __name__ == "__main__":
    unittest.main()
