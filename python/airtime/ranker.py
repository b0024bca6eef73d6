"""Write a ranker in Python and serve it to airtime.

Subclass :class:`Ranker`, define ``score`` (and, to learn from the logged
warm-up, ``fit``), and end the script with ``airtime.serve(MyRanker())``.
airtime starts the script as a child process and speaks the protocol of
docs/ranker-protocol.md with it; this module turns each request into a call
of your methods and each return value into the reply.

An exception raised by your code becomes an ERROR reply naming the
exception and the line of your file it came from (the whole traceback goes
to standard error, i.e. ``rankers/NAME.stderr`` of the world's directory), and the process
exits with status 1.  Scores are checked before they are sent: one finite
number per candidate.
"""

from __future__ import annotations

import io
import os
import sys
import sysconfig
import traceback

import numpy as np

from .protocol import (
    API_VERSION,
    FrameReader,
    FrameWriter,
    ProtocolError,
    Reply,
    Request,
    Schema,
    StreamClosed,
    decode_bye,
    decode_fit,
    decode_hello,
    decode_score,
    encode_error,
    encode_ready,
    enlarge_pipe,
    one_line,
)

TIMING_ENV = "AIRTIME_RANKER_TIMING"
"""When this environment variable is set (and not "0"), the time spent in
score() is measured and summarised on standard error at exit.  For
benchmarks only: it never changes what is sent to airtime."""


class Ranker:
    """The base class of a ranker.

    Class attribute ``name``: how airtime names the ranker in its messages
    (READY's name); the class name when None.

    After HELLO, ``self.schema`` is the :class:`~airtime.protocol.Schema`.
    """

    name: str | None = None
    schema: Schema | None = None

    def setup(self, schema: Schema) -> None:
        """Called once, on HELLO, before anything else (``self.schema`` is
        already set).  Read ``schema.options`` here; raise to refuse them."""

    def fit(self, X, y, *, positions, propensities, users, shows, times_us, features) -> None:
        """Learn from the logged impressions (optional; the default ignores them).

        Called at the end of the warm-up and at every retrain, each time
        with the whole training set (replace what you learnt before).
        ``X`` is n x n_features float32 (NaN = missing), ``y`` n float32
        labels (1: tuned in from that slot), ``positions`` n uint16 slots
        (0 = top), ``propensities`` n float64 or None, ``users``/``shows``
        n uint32, ``times_us`` n int64 simulated microseconds, ``features``
        the schema's tuple of (name, kind) columns.
        """

    def score(self, X, context) -> np.ndarray:
        """Return one finite score per candidate, higher first (required).

        ``X`` is n x n_features float32 (NaN = missing) in candidate order;
        ``context`` an :class:`~airtime.protocol.Context`.  May be called
        before any fit() (when the scenario has no warm-up); never called
        for a page of no candidates.
        """
        raise NotImplementedError


class RankerError(Exception):
    """The ranker's own code failed or returned something unusable."""


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
_LIBRARY_DIRS = tuple({os.path.abspath(p) for p in (sysconfig.get_paths()["stdlib"],
                                                      sysconfig.get_paths()["platstdlib"])})


def _is_user_file(filename: str) -> bool:
    """Whether filename is the researcher's code rather than this package,
    the standard library or an installed package."""
    if filename.startswith("<"):
        return False
    path = os.path.abspath(filename)
    parts = path.split(os.sep)
    return not (path.startswith(_PACKAGE_DIR + os.sep) or "site-packages" in parts
                or "dist-packages" in parts
                or any(path.startswith(d + os.sep) for d in _LIBRARY_DIRS))


def _short_path(filename: str) -> str:
    rel = os.path.relpath(os.path.abspath(filename))
    return filename if rel.startswith("..") else rel


def describe_exception(exc: BaseException) -> str:
    """One line: the exception's type and message, and the deepest line of
    the researcher's code in its traceback (file:line in function)."""
    frames = traceback.extract_tb(exc.__traceback__)
    user = [f for f in frames if _is_user_file(f.filename)]
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    where = user[-1] if user else (frames[-1] if frames else None)
    if where is not None:
        text += f" (at {_short_path(where.filename)}:{where.lineno} in {where.name})"
    return one_line(text)


def _method_label(method) -> str:
    """e.g. 'LogReg.score (examples/rankers/logreg.py:57)'."""
    func = getattr(method, "__func__", method)
    code = getattr(func, "__code__", None)
    label = getattr(func, "__qualname__", repr(func))
    if code is not None:
        label += f" ({_short_path(code.co_filename)}:{code.co_firstlineno})"
    return label


def _call(method, *args, **kwargs):
    """Call the ranker's method; its exceptions become a RankerError."""
    try:
        return method(*args, **kwargs)
    except Exception as exc:
        raise RankerError(describe_exception(exc)) from exc


def check_scores(result, context, page: int, n_pages: int, label: str) -> np.ndarray:
    """result as a float64 array of exactly one finite score per candidate of
    the page, or a RankerError saying what is wrong with it."""
    n = context.n
    of_page = f" of page {page} of {n_pages}" if n_pages > 1 else ""
    try:
        scores = np.asarray(result, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise RankerError(f"{label} returned {type(result).__name__}, not numbers: "
                          f"{one_line(str(exc), 200)}") from None
    if scores.shape != (n,):
        got = f"shape {scores.shape}" if scores.ndim != 1 else f"{len(scores)} scores"
        raise RankerError(f"{label} returned {got}; expected {n} scores, one per "
                          f"candidate{of_page}")
    finite = np.isfinite(scores)
    if not finite.all():
        i = int(np.argmin(finite))
        raise RankerError(f"{label} returned {scores[i]} for candidate {i} (show "
                          f"{context.candidates.shows[i]}){of_page}; every score must be finite")
    return scores


_NO_SCORES = np.empty(0)  # the scores of a page of no candidates: score() is not called


class _ScoreTimer:
    """Wraps score() to measure it (benchmarks only; see TIMING_ENV)."""

    def __init__(self, score):
        from time import perf_counter_ns
        self._clock = perf_counter_ns
        self._score = score
        self.ns: list[int] = []

    def __call__(self, X, context):
        t0 = self._clock()
        try:
            return self._score(X, context)
        finally:
            self.ns.append(self._clock() - t0)

    def report(self, out) -> None:
        if not self.ns:
            return
        ns = np.sort(np.array(self.ns, dtype=np.int64))
        p99 = ns[min(len(ns) - 1, int(0.99 * len(ns)))]
        print(f"airtime-timing: score_calls={len(ns)} score_median_ns={int(np.median(ns))} "
              f"score_p99_ns={int(p99)} score_mean_ns={int(ns.mean())}", file=out, flush=True)


class _Session:
    """One conversation with airtime: the requests in order, one reply each."""

    def __init__(self, ranker: Ranker, reader: FrameReader, writer: FrameWriter,
                 log, timing: bool):
        self.ranker = ranker
        self.reader = reader
        self.writer = writer
        self.log = log
        self.schema: Schema | None = None
        self.timer = _ScoreTimer(ranker.score) if timing else None
        self.score = self.timer or ranker.score
        self.score_label = _method_label(ranker.score)

    def run(self) -> int:
        """Serve until BYE (0) or a failure (1, after an ERROR reply when one
        can still be sent)."""
        expected = 1
        try:
            while True:
                seq = 0  # what an ERROR carries when the next header is unreadable
                frame = self.reader.read()
                seq = frame.seq
                if seq != expected:
                    raise ProtocolError(f"request sequence number {seq}; expected {expected}")
                expected += 1
                done = self.handle(frame)
                del frame  # release the read buffer before reading the next frame
                if done:
                    return 0
        except StreamClosed:
            self.log.write("airtime: input closed before BYE\n")
            return 1
        except BrokenPipeError:
            self.log.write("airtime: airtime closed the ranker's output\n")
            return 1
        except RankerError as exc:
            if exc.__cause__ is not None:
                traceback.print_exception(exc.__cause__, file=self.log)
            return self.fail(seq, str(exc))
        except ProtocolError as exc:
            return self.fail(seq, f"ranker protocol error: {exc}")
        except Exception as exc:  # a failure of this package, or e.g. MemoryError
            traceback.print_exception(exc, file=self.log)
            return self.fail(seq, f"airtime package: {describe_exception(exc)}")
        finally:
            if self.timer is not None:
                self.timer.report(self.log)
            self.log.flush()

    def fail(self, seq: int, message: str) -> int:
        """Log message, send it as ERROR if the output is still open; return 1."""
        self.log.write(f"airtime: {one_line(message)}\n")
        try:
            self.writer.send(Reply.ERROR, seq, encode_error(message))
        except OSError:
            pass
        return 1

    def handle(self, frame) -> bool:
        """Answer one request; True after BYE."""
        t = frame.type
        if t == Request.SCORE:
            self.require_hello("SCORE")
            pages = decode_score(frame.buf, frame.offset, frame.length, self.schema)
            n_pages = len(pages)
            scores = [check_scores(_call(self.score, X, ctx), ctx, i, n_pages, self.score_label)
                      if ctx.n else _NO_SCORES for i, (X, ctx) in enumerate(pages)]
            self.writer.send_scores(frame.seq, scores)
        elif t == Request.FIT:
            self.require_hello("FIT")
            ts = decode_fit(frame.buf, frame.offset, frame.length, self.schema)
            _call(self.ranker.fit, ts.X, ts.y, positions=ts.positions,
                  propensities=ts.propensities, users=ts.users, shows=ts.shows,
                  times_us=ts.times_us, features=self.schema.features)
            self.writer.send(Reply.FITTED, frame.seq)
        elif t == Request.HELLO:
            if self.schema is not None:
                raise ProtocolError("a second HELLO")
            self.hello(decode_hello(frame.buf, frame.offset, frame.length), frame.seq)
        elif t == Request.BYE:
            decode_bye(frame.buf, frame.offset, frame.length)
            self.writer.send(Reply.BYE, frame.seq)
            return True
        else:
            raise ProtocolError(f"unknown request type {t}")
        return False

    def require_hello(self, what: str) -> None:
        if self.schema is None:
            raise ProtocolError(f"{what} before HELLO")

    def hello(self, schema: Schema, seq: int) -> None:
        if schema.api_version != API_VERSION:
            raise ProtocolError(f"airtime speaks ranker API version {schema.api_version}; "
                                f"this package speaks version {API_VERSION}")
        ranker = self.ranker
        if getattr(type(ranker), "score", None) is Ranker.score:
            raise RankerError(f"{type(ranker).__qualname__} does not define score()")
        self.schema = schema
        ranker.schema = schema
        _call(ranker.setup, schema)
        name = ranker.name if ranker.name is not None else type(ranker).__name__
        self.writer.send(Reply.READY, seq, encode_ready(str(name)))


def run_session(ranker: Ranker, stdin, stdout, *, log=None, timing: bool = False) -> int:
    """Serve ranker over binary streams until BYE; return the exit status
    (0 after BYE, 1 after a failure).  serve() calls this on the process's
    standard input and output; tests call it on any streams."""
    return _Session(ranker, FrameReader(stdin), FrameWriter(stdout),
                    sys.stderr if log is None else log, timing).run()


def _claim_stdio():
    """Take the process's standard input and output for the protocol.

    The protocol keeps private duplicates of file descriptors 0 and 1; then
    0 reads /dev/null and 1 writes to standard error, so that a print() (or
    a library writing to fd 1) cannot corrupt the replies, and nothing else
    can consume requests.  Only output flushed to fd 1 before serve() was
    called reaches airtime (and breaks the protocol).
    """
    proto_in, proto_out = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(2, 1)
    sys.stdout.flush()  # what print() buffered before serve() goes to standard error too
    sys.stdout.reconfigure(line_buffering=True)
    enlarge_pipe(proto_in)
    return io.FileIO(proto_in, "rb"), io.FileIO(proto_out, "wb")


def serve(ranker) -> None:
    """Serve ranker (an instance, or a class to instantiate) to airtime over
    standard input and output, then exit: status 0 after BYE, 1 on failure."""
    if isinstance(ranker, type):
        ranker = ranker()
    stdin, stdout = _claim_stdio()
    timing = os.environ.get(TIMING_ENV, "") not in ("", "0")
    sys.exit(run_session(ranker, stdin, stdout, timing=timing))
