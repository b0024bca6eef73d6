"""A run directory's results.db as pandas DataFrames.

    import airtime.results
    dfs = airtime.results.load("reports/default-1a2b3c4d")
    dfs["runs"], dfs["metrics"], ...

Every table the file holds is read, whatever its name (the list comes from
``sqlite_master``), ``runs`` first and then in the order the tables were
created.  What the tables and columns mean, and which values are host
measurements rather than simulated results: docs/results-schema.md.  The
file is opened read-only.  pandas is imported on first use.

The logged bandit feedback ([logging] impressions) stores each slot's
feature row as a float32 BLOB named by the ``feature_columns`` table;
``bandit(run_dir)`` reads ``impressions`` (or ``ope_target_slots``) of one
run with those rows spread into columns ``x_NAME``, as ``airtime export``
writes them.
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from pathlib import Path
from urllib.parse import quote


def _db_path(run_dir) -> Path:
    """run_dir/results.db, or run_dir itself when it is the database file."""
    path = Path(run_dir)
    if path.is_dir():
        path = path / "results.db"
    if not path.is_file():
        raise FileNotFoundError(f"no results.db at {os.fspath(run_dir)}")
    return path


def _connect(run_dir) -> sqlite3.Connection:
    """A read-only connection (close it)."""
    uri = "file:" + quote(str(_db_path(run_dir).resolve())) + "?mode=ro"
    return sqlite3.connect(uri, uri=True)


def _table_names(con: sqlite3.Connection) -> list[str]:
    names = [row[0] for row in con.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' "
        "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY rowid")]
    return sorted(names, key=lambda name: name != "runs")  # stable: runs first


def _read(con: sqlite3.Connection, table: str):
    import pandas as pd
    quoted = '"' + table.replace('"', '""') + '"'
    return pd.read_sql_query(f"SELECT * FROM {quoted}", con)


def tables(run_dir) -> list[str]:
    """The names of the tables in run_dir's results.db, runs first."""
    with closing(_connect(run_dir)) as con:
        return _table_names(con)


def read(run_dir, table: str):
    """One table of run_dir's results.db as a DataFrame."""
    with closing(_connect(run_dir)) as con:
        names = _table_names(con)
        if table not in names:
            raise LookupError(f"{_db_path(run_dir)} has no table {table!r}; it has "
                           f"{', '.join(names)}")
        return _read(con, table)


def load(run_dir) -> dict:
    """Every table of run_dir's results.db: {name: DataFrame}, runs first."""
    with closing(_connect(run_dir)) as con:
        return {name: _read(con, name) for name in _table_names(con)}


def bandit(run_dir, table: str = "impressions", run_id: int | None = None):
    """The logged impressions (or the targets' pages, table="ope_target_slots")
    of one run (the first unless run_id), features spread into x_NAME columns."""
    import numpy as np
    import pandas as pd
    if table not in ("impressions", "ope_target_slots"):
        raise ValueError(f"bandit() reads impressions or ope_target_slots, not {table!r}")
    with closing(_connect(run_dir)) as con:
        if run_id is None:
            row = con.execute("SELECT min(run_id) FROM runs").fetchone()
            run_id = row[0]
        names = [r[0] for r in con.execute(
            "SELECT name FROM feature_columns WHERE run_id = ? ORDER BY i", (run_id,))]
        df = pd.read_sql_query(f"SELECT * FROM {table} WHERE run_id = ? "
                               "ORDER BY round, position", con, params=(run_id,))
    blobs = df.pop("features")
    x = np.full((len(df), len(names)), np.nan, dtype=np.float32)
    for i, b in enumerate(blobs):
        if b is not None and len(b) == 4 * len(names):
            x[i] = np.frombuffer(b, dtype="<f4")
    features = pd.DataFrame(x, columns=["x_" + n for n in names], index=df.index)
    return pd.concat([df, features], axis=1)
