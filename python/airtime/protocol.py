"""The external-ranker protocol, version 1 (docs/ranker-protocol.md).

Frames are a 16-byte little-endian header (magic ``ATRP``, version, type,
payload length, sequence number) and a payload.  This module holds:

- the constants and message types;
- the decoded messages: :class:`Schema` (HELLO), :class:`TrainingSet`
  (FIT), and per page of a SCORE a feature matrix and a :class:`Context`;
- an encoder and a decoder for every message type, in both directions (the
  ranker needs only half of them; the other half serves tests, benchmarks
  and anyone writing a host);
- :class:`FrameReader` and :class:`FrameWriter`, which move frames over a
  pipe with one preallocated buffer each.

Decoding never loops over candidates or rows in Python: every array is a
``numpy.frombuffer`` view of the received bytes.  Malformed input raises
:class:`ProtocolError` with a message saying what was wrong and where.
"""

from __future__ import annotations

import enum
import struct
import sys
from dataclasses import dataclass, field
from typing import NamedTuple, Sequence

import numpy as np

MAGIC = b"ATRP"
PROTOCOL_VERSION = 1
API_VERSION = 1
HEADER_SIZE = 16
MAX_PAYLOAD = 1 << 30
"""The largest payload a frame may carry (1 GiB), in both directions."""

MAX_ERROR_BYTES = 1024
"""ERROR messages longer than this are cut (at a UTF-8 character boundary)."""


class Request(enum.IntEnum):
    """Message types airtime sends."""

    HELLO = 1
    FIT = 2
    SCORE = 3
    BYE = 4


class Reply(enum.IntEnum):
    """Message types a ranker sends."""

    READY = 101
    FITTED = 102
    SCORES = 103
    BYE = 104
    ERROR = 199


class FeatureKind(enum.IntEnum):
    """Where a feature column comes from (``enum airtime_feature_kind``)."""

    PIT = 1
    USER = 2
    CREATOR = 3
    USER_TOPIC = 4
    USER_CREATOR = 5
    CONTEXT = 6


FIT_HAS_PROPENSITIES = 1
"""FIT flags bit 0: a propensities array is present."""


class ProtocolError(Exception):
    """A frame or payload that does not follow the protocol."""


class StreamClosed(ProtocolError):
    """The input ended cleanly between two frames."""


_HEADER = struct.Struct("<4sHHII")
_U32 = struct.Struct("<I")
_STR_LEN = _U32
_FEATURE_KIND = _U32
_HELLO_COUNTS = struct.Struct("<II")  # n_topics, n_users
_HELLO_TAIL = struct.Struct("<QI")  # seed, world
_FIT_HEAD = struct.Struct("<QII")  # n, n_features, flags
_PAGE_HEAD = struct.Struct("<IIqQII")  # user, n_declared, now_us, request_id, n, n_features
_I8 = np.dtype("<i8")
_U4 = np.dtype("<u4")
_U2 = np.dtype("<u2")
_U1 = np.dtype("u1")
_F4 = np.dtype("<f4")
_F8 = np.dtype("<f8")

# Bytes per candidate of a SCORE page, besides its 4 * n_features of features:
# start_us (8), shows (4), creators (4), topics (2), live (1).
_CANDIDATE_FIXED = 8 + 4 + 4 + 2 + 1
# Bytes per row of a FIT, besides features and propensities:
# times_us (8), labels (4), users (4), shows (4), positions (2).
_ROW_FIXED = 8 + 4 + 4 + 4 + 2


class Feature(NamedTuple):
    """One feature column: its name and its :class:`FeatureKind` (an int)."""

    name: str
    kind: int


@dataclass(frozen=True)
class Schema:
    """The HELLO message: what every later request carries."""

    features: tuple[Feature, ...]
    n_topics: int
    n_users: int
    ranker: str
    options: dict[str, str] = field(default_factory=dict)
    seed: int = 0
    world: int = 0
    api_version: int = API_VERSION

    @property
    def n_features(self) -> int:
        """The number of columns of every feature matrix."""
        return len(self.features)

    @property
    def feature_names(self) -> list[str]:
        """The column names, in column order."""
        return [f.name for f in self.features]


@dataclass
class TrainingSet:
    """The FIT message: logged impressions, one row each."""

    X: np.ndarray  # n x n_features float32, NaN = missing
    y: np.ndarray  # n float32, 1 = tuned in from that slot
    positions: np.ndarray  # n uint16, 0 = top slot
    propensities: np.ndarray | None  # n float64, or None
    users: np.ndarray  # n uint32
    shows: np.ndarray  # n uint32
    times_us: np.ndarray  # n int64, simulated microseconds

    @property
    def n(self) -> int:
        """The number of rows."""
        return len(self.y)


class Candidates:
    """The candidates of a page, one numpy array per attribute, in page order."""

    __slots__ = ("shows", "creators", "topics", "live", "start_us")

    def __init__(self, shows, creators, topics, live, start_us):
        self.shows = shows  # uint32
        self.creators = creators  # uint32
        self.topics = topics  # uint16
        self.live = live  # uint8: 1 live now, 0 upcoming
        self.start_us = start_us  # int64: scheduled start, simulated microseconds

    def __len__(self) -> int:
        return len(self.shows)

    def __repr__(self) -> str:
        return f"Candidates(n={len(self)})"


class Context:
    """The request a page answers, its candidates, and the ranker's schema."""

    __slots__ = ("user", "now_us", "request_id", "declared_topics", "candidates", "schema")

    def __init__(self, user, now_us, request_id, declared_topics, candidates, schema=None):
        self.user = user  # int
        self.now_us = now_us  # int: simulated time of the request
        self.request_id = request_id  # int: unique per request in a world
        self.declared_topics = declared_topics  # uint16 array, most preferred first
        self.candidates = candidates  # Candidates
        self.schema = schema  # Schema, or None when decoded without one

    @property
    def n(self) -> int:
        """The number of candidates."""
        return len(self.candidates)

    def __repr__(self) -> str:
        return (f"Context(user={self.user}, now_us={self.now_us}, "
                f"request_id={self.request_id}, n={self.n})")


# --------------------------------------------------------------------------
# Payload decoding


class _Cursor:
    """Bounds-checked reading of a payload that is not on the hot path."""

    __slots__ = ("buf", "start", "pos", "end", "what")

    def __init__(self, buf, offset: int, length: int, what: str):
        self.buf = buf
        self.start = self.pos = offset
        self.end = offset + length
        self.what = what

    def take(self, size: int, name: str) -> int:
        """Reserve size bytes for field name; return their offset."""
        pos = self.pos
        if pos + size > self.end:
            raise ProtocolError(
                f"{self.what} payload truncated: {name} needs {size} bytes at payload "
                f"offset {pos - self.start}, only {self.end - pos} left")
        self.pos = pos + size
        return pos

    def unpack(self, st: struct.Struct, name: str) -> tuple:
        return st.unpack_from(self.buf, self.take(st.size, name))

    def u32(self, name: str) -> int:
        return self.unpack(_U32, name)[0]

    def string(self, name: str) -> str:
        size = self.u32(f"{name} length")
        pos = self.take(size, name)
        try:
            return bytes(self.buf[pos:pos + size]).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ProtocolError(f"{self.what}: {name} is not UTF-8 ({exc})") from None

    def array(self, dtype: np.dtype, count: int, name: str) -> np.ndarray:
        return np.frombuffer(self.buf, dtype, count, self.take(count * dtype.itemsize, name))

    def finish(self) -> None:
        if self.pos != self.end:
            raise ProtocolError(
                f"{self.what} payload has {self.end - self.pos} bytes after its last field")


def _span(buf, offset: int, length: int | None) -> int:
    return len(buf) - offset if length is None else length


def _expect_empty(buf, offset: int, length: int | None, what: str) -> None:
    n = _span(buf, offset, length)
    if n:
        raise ProtocolError(f"{what} has a payload of {n} bytes; it must be empty")


def decode_hello(buf, offset: int = 0, length: int | None = None) -> Schema:
    """Decode a HELLO payload (all of buf, or length bytes from offset)."""
    c = _Cursor(buf, offset, _span(buf, offset, length), "HELLO")
    api_version = c.u32("api_version")
    n_features = c.u32("n_features")
    features = []
    for i in range(n_features):
        name = c.string(f"feature {i} name")
        features.append(Feature(name, c.unpack(_FEATURE_KIND, f"feature {i} kind")[0]))
    n_topics, n_users = c.unpack(_HELLO_COUNTS, "n_topics, n_users")
    ranker = c.string("ranker")
    n_options = c.u32("n_options")
    options: dict[str, str] = {}
    for i in range(n_options):
        key = c.string(f"option {i} key")
        value = c.string(f"option {i} value")
        if key in options:
            raise ProtocolError(f"HELLO: option {key!r} appears twice")
        options[key] = value
    seed, world = c.unpack(_HELLO_TAIL, "seed, world")
    c.finish()
    return Schema(features=tuple(features), n_topics=n_topics, n_users=n_users, ranker=ranker,
                  options=options, seed=seed, world=world, api_version=api_version)


def _check_n_features(what: str, got: int, schema: Schema | None) -> None:
    if schema is not None and got != schema.n_features:
        raise ProtocolError(
            f"{what} has {got} features per row; HELLO declared {schema.n_features}")


def decode_fit(buf, offset: int = 0, length: int | None = None,
               schema: Schema | None = None) -> TrainingSet:
    """Decode a FIT payload.  The arrays are views of buf."""
    length = _span(buf, offset, length)
    if length < _FIT_HEAD.size:
        raise ProtocolError(f"FIT payload truncated: {length} bytes, its header needs "
                            f"{_FIT_HEAD.size}")
    n, nf, flags = _FIT_HEAD.unpack_from(buf, offset)
    _check_n_features("FIT", nf, schema)
    if flags & ~FIT_HAS_PROPENSITIES:
        raise ProtocolError(f"FIT flags {flags:#x} has unknown bits set")
    has_p = bool(flags & FIT_HAS_PROPENSITIES)
    row = _ROW_FIXED + 4 * nf + (8 if has_p else 0)
    if length != _FIT_HEAD.size + n * row:
        raise ProtocolError(
            f"FIT payload is {length} bytes; {n} rows of {nf} features "
            f"({'with' if has_p else 'without'} propensities) need {_FIT_HEAD.size + n * row}")
    pos = offset + _FIT_HEAD.size
    times_us = np.frombuffer(buf, _I8, n, pos)
    pos += 8 * n
    propensities = None
    if has_p:
        propensities = np.frombuffer(buf, _F8, n, pos)
        pos += 8 * n
    X = np.frombuffer(buf, _F4, n * nf, pos).reshape(n, nf)
    pos += 4 * n * nf
    y = np.frombuffer(buf, _F4, n, pos)
    pos += 4 * n
    users = np.frombuffer(buf, _U4, n, pos)
    pos += 4 * n
    shows = np.frombuffer(buf, _U4, n, pos)
    pos += 4 * n
    positions = np.frombuffer(buf, _U2, n, pos)
    return TrainingSet(X=X, y=y, positions=positions, propensities=propensities,
                       users=users, shows=shows, times_us=times_us)


def decode_score(buf, offset: int = 0, length: int | None = None,
                 schema: Schema | None = None) -> list[tuple[np.ndarray, Context]]:
    """Decode a SCORE payload into (features, context) per page.

    The arrays are views of buf; each context carries schema.
    """
    end = offset + _span(buf, offset, length)
    if end - offset < 4:
        raise ProtocolError("SCORE payload truncated: it has no n_pages")
    (n_pages,) = _U32.unpack_from(buf, offset)
    pos = offset + 4
    pages = []
    for p in range(n_pages):
        if pos + _PAGE_HEAD.size > end:
            raise ProtocolError(f"SCORE payload truncated in the header of page {p} "
                                f"of {n_pages}")
        user, n_declared, now_us, request_id, n, nf = _PAGE_HEAD.unpack_from(buf, pos)
        if schema is not None and nf != schema.n_features:
            raise ProtocolError(f"SCORE page {p} has {nf} features per candidate; HELLO "
                                f"declared {schema.n_features}")
        size = _PAGE_HEAD.size + n * (_CANDIDATE_FIXED + 4 * nf) + 2 * n_declared
        if pos + size > end:
            raise ProtocolError(
                f"SCORE payload truncated: page {p} ({n} candidates x {nf} features, "
                f"{n_declared} declared topics) needs {size} bytes, {end - pos} left")
        pos += _PAGE_HEAD.size
        start_us = np.frombuffer(buf, _I8, n, pos)
        pos += 8 * n
        shows = np.frombuffer(buf, _U4, n, pos)
        pos += 4 * n
        creators = np.frombuffer(buf, _U4, n, pos)
        pos += 4 * n
        X = np.frombuffer(buf, _F4, n * nf, pos).reshape(n, nf)
        pos += 4 * n * nf
        declared = np.frombuffer(buf, _U2, n_declared, pos)
        pos += 2 * n_declared
        topics = np.frombuffer(buf, _U2, n, pos)
        pos += 2 * n
        live = np.frombuffer(buf, _U1, n, pos)
        pos += n
        pages.append((X, Context(user, now_us, request_id, declared,
                                 Candidates(shows, creators, topics, live, start_us), schema)))
    if pos != end:
        raise ProtocolError(f"SCORE payload has {end - pos} bytes after its last page")
    return pages


def decode_bye(buf, offset: int = 0, length: int | None = None) -> None:
    """Check a BYE payload (request or reply): it must be empty."""
    _expect_empty(buf, offset, length, "BYE")


def decode_ready(buf, offset: int = 0, length: int | None = None) -> tuple[int, str]:
    """Decode a READY payload into (api_version, name)."""
    c = _Cursor(buf, offset, _span(buf, offset, length), "READY")
    api_version = c.u32("api_version")
    name = c.string("name")
    c.finish()
    return api_version, name


def decode_fitted(buf, offset: int = 0, length: int | None = None) -> None:
    """Check a FITTED payload: it must be empty."""
    _expect_empty(buf, offset, length, "FITTED")


def decode_scores(buf, offset: int = 0, length: int | None = None) -> list[np.ndarray]:
    """Decode a SCORES payload into one float64 array per page."""
    c = _Cursor(buf, offset, _span(buf, offset, length), "SCORES")
    pages = [c.array(_F8, c.u32(f"page {p} n"), f"page {p} scores")
             for p in range(c.u32("n_pages"))]
    c.finish()
    return pages


def decode_error(buf, offset: int = 0, length: int | None = None) -> str:
    """Decode an ERROR payload into its message."""
    c = _Cursor(buf, offset, _span(buf, offset, length), "ERROR")
    message = c.string("message")
    c.finish()
    return message


# --------------------------------------------------------------------------
# Payload encoding


def _string(s: str) -> bytes:
    b = s.encode("utf-8")
    return _U32.pack(len(b)) + b


def _le(array, dtype: np.dtype, count: int, name: str) -> bytes:
    a = np.ascontiguousarray(array, dtype=dtype)
    if a.size != count:
        raise ValueError(f"{name} has {a.size} values, expected {count}")
    return a.tobytes()


def encode_frame(msg_type: int, seq: int, payload=b"") -> bytes:
    """A whole frame: header and payload."""
    if len(payload) > MAX_PAYLOAD:
        raise ProtocolError(f"payload of {len(payload)} bytes exceeds the 1 GiB limit")
    return _HEADER.pack(MAGIC, PROTOCOL_VERSION, msg_type, len(payload), seq) + bytes(payload)


def encode_hello(schema: Schema) -> bytes:
    """The HELLO payload of schema."""
    parts = [_U32.pack(schema.api_version), _U32.pack(len(schema.features))]
    for f in schema.features:
        parts += [_string(f.name), _FEATURE_KIND.pack(f.kind)]
    parts += [_HELLO_COUNTS.pack(schema.n_topics, schema.n_users), _string(schema.ranker),
              _U32.pack(len(schema.options))]
    for key, value in schema.options.items():
        parts += [_string(key), _string(value)]
    parts.append(_HELLO_TAIL.pack(schema.seed, schema.world))
    return b"".join(parts)


def encode_fit(ts: TrainingSet) -> bytes:
    """The FIT payload of ts (propensities present when not None)."""
    X = np.asarray(ts.X)
    n, nf = X.shape
    has_p = ts.propensities is not None
    parts = [_FIT_HEAD.pack(n, nf, FIT_HAS_PROPENSITIES if has_p else 0),
             _le(ts.times_us, _I8, n, "times_us")]
    if has_p:
        parts.append(_le(ts.propensities, _F8, n, "propensities"))
    parts += [_le(X, _F4, n * nf, "X"), _le(ts.y, _F4, n, "y"), _le(ts.users, _U4, n, "users"),
              _le(ts.shows, _U4, n, "shows"), _le(ts.positions, _U2, n, "positions")]
    return b"".join(parts)


def encode_score(pages: Sequence[tuple[np.ndarray, Context]]) -> bytes:
    """The SCORE payload of (features, context) pages."""
    parts = [_U32.pack(len(pages))]
    for X, ctx in pages:
        X = np.asarray(X)
        n, nf = X.shape
        c = ctx.candidates
        nd = len(ctx.declared_topics)
        parts += [_PAGE_HEAD.pack(ctx.user, nd, ctx.now_us, ctx.request_id, n, nf),
                  _le(c.start_us, _I8, n, "start_us"), _le(c.shows, _U4, n, "shows"),
                  _le(c.creators, _U4, n, "creators"), _le(X, _F4, n * nf, "X"),
                  _le(ctx.declared_topics, _U2, nd, "declared_topics"),
                  _le(c.topics, _U2, n, "topics"), _le(c.live, _U1, n, "live")]
    return b"".join(parts)


def encode_ready(name: str, api_version: int = API_VERSION) -> bytes:
    """The READY payload."""
    return _U32.pack(api_version) + _string(name)


def encode_scores(pages: Sequence) -> bytes:
    """The SCORES payload of one score array per page."""
    parts = [_U32.pack(len(pages))]
    for s in pages:
        parts += [_U32.pack(len(s)), _le(s, _F8, len(s), "scores")]
    return b"".join(parts)


def one_line(message: str, limit: int = MAX_ERROR_BYTES) -> str:
    """message on one line (whitespace runs collapsed), at most limit UTF-8 bytes."""
    text = " ".join(message.split())
    b = text.encode("utf-8")
    if len(b) <= limit:
        return text
    return b[:limit - 3].decode("utf-8", "ignore") + "..."


def encode_error(message: str) -> bytes:
    """The ERROR payload: message made one line of at most MAX_ERROR_BYTES."""
    return _string(one_line(message))


# --------------------------------------------------------------------------
# Frames over a stream


class Frame(NamedTuple):
    """A received frame: its payload is buf[offset : offset + length]."""

    type: int
    seq: int
    buf: bytearray
    offset: int
    length: int

    def payload(self) -> bytes:
        """A copy of the payload."""
        return bytes(self.buf[self.offset:self.offset + self.length])


def _reader_of(stream):
    """The method that reads at most len(b) bytes into b without waiting for more."""
    readinto1 = getattr(stream, "readinto1", None)
    return readinto1 if readinto1 is not None else stream.readinto


class FrameReader:
    """Reads frames from a binary stream into one reusable buffer.

    The stream is read greedily (whatever is there, up to the buffer's
    size) with ``readinto``, so a frame usually costs one system call.
    Payload arrays decoded from a frame are views of the buffer; when any of
    them is still referenced as the next frame is read, the reader moves to a
    fresh buffer so that those arrays stay valid.  Frames larger than
    ``reuse_limit`` get a buffer of their own.
    """

    def __init__(self, stream, capacity: int = 1 << 20, reuse_limit: int = 1 << 24):
        self._readinto = _reader_of(stream)
        self._reuse_limit = reuse_limit
        self._buf = bytearray(0)
        self._start = self._end = 0  # unread bytes: buf[start:end]
        self._realloc(max(capacity, HEADER_SIZE))

    def _realloc(self, capacity: int) -> None:
        """Move the unread bytes into a new buffer of at least capacity bytes."""
        old, start, end = self._buf, self._start, self._end
        self._buf = bytearray(max(capacity, end - start))
        self._buf[:end - start] = old[start:end]
        self._mv = memoryview(self._buf)
        self._start, self._end = 0, end - start
        # References to the buffer when nothing outside this reader holds it:
        # self._buf, self._mv and getrefcount's argument.
        self._idle_refs = sys.getrefcount(self._buf)

    def _fill(self, need: int, msg_type: int | None) -> None:
        """Read until buf[start:] holds need bytes (of a frame of msg_type, or
        of a header when None)."""
        while self._end - self._start < need:
            got = self._readinto(self._mv[self._end:])
            if not got:
                have = self._end - self._start
                if msg_type is None:
                    if have == 0:
                        raise StreamClosed("input closed")
                    raise ProtocolError(f"input ended inside a frame header: got {have} "
                                        f"of {HEADER_SIZE} bytes")
                raise ProtocolError(f"input ended inside a frame of type {msg_type}: got "
                                    f"{have} of {need} bytes")
            self._end += got

    def read(self) -> Frame:
        """The next frame, with its header checked.  Raises StreamClosed at a
        clean end of input and ProtocolError for anything malformed."""
        if sys.getrefcount(self._buf) > self._idle_refs:
            self._realloc(len(self._buf))
        if self._start == self._end:
            self._start = self._end = 0
        elif self._start + HEADER_SIZE > len(self._buf):
            self._realloc(len(self._buf))  # move the unread bytes to the front
        self._fill(HEADER_SIZE, None)
        magic, version, msg_type, length, seq = _HEADER.unpack_from(self._buf, self._start)
        if magic != MAGIC:
            raise ProtocolError(f"bad magic {magic!r} (expected {MAGIC!r}): the input is "
                                "not a ranker-protocol stream")
        if version != PROTOCOL_VERSION:
            raise ProtocolError(f"protocol version {version}; this package speaks version "
                                f"{PROTOCOL_VERSION}")
        if length > MAX_PAYLOAD:
            raise ProtocolError(f"payload length {length} of a type {msg_type} frame exceeds "
                                f"the 1 GiB limit")
        total = HEADER_SIZE + length
        if total > self._reuse_limit:
            return self._read_large(msg_type, seq, length)
        if self._start + total > len(self._buf):
            size = len(self._buf)
            self._realloc(size if total <= size else
                          max(total, min(2 * size, self._reuse_limit)))
        self._fill(total, msg_type)
        offset = self._start + HEADER_SIZE
        self._start += total
        return Frame(msg_type, seq, self._buf, offset, length)

    def _read_large(self, msg_type: int, seq: int, length: int) -> Frame:
        """A frame too large for the reusable buffer, read into one of its own."""
        self._start += HEADER_SIZE
        buf = bytearray(length)
        have = min(self._end - self._start, length)
        buf[:have] = self._buf[self._start:self._start + have]
        self._start += have
        mv = memoryview(buf)
        while have < length:
            got = self._readinto(mv[have:])
            if not got:
                raise ProtocolError(f"input ended inside a frame of type {msg_type}: got "
                                    f"{HEADER_SIZE + have} of {HEADER_SIZE + length} bytes")
            have += got
        return Frame(msg_type, seq, buf, 0, length)


class FrameWriter:
    """Writes frames to a binary stream: one write and one flush per frame.

    SCORES replies are encoded into a preallocated buffer.
    """

    def __init__(self, stream, capacity: int = 1 << 16):
        self._stream = stream
        self._buf = bytearray(capacity)
        self._mv = memoryview(self._buf)

    def _send(self, data) -> None:
        view = memoryview(data)
        while view:
            view = view[self._stream.write(view):]
        self._stream.flush()

    def send(self, msg_type: int, seq: int, payload=b"") -> None:
        """Send one frame."""
        self._send(encode_frame(msg_type, seq, payload))

    def send_scores(self, seq: int, pages: Sequence[np.ndarray]) -> None:
        """Send a SCORES reply: one array of float64 scores per page."""
        size = 4 + sum(4 + 8 * len(s) for s in pages)
        if size > MAX_PAYLOAD:
            raise ProtocolError(f"SCORES payload of {size} bytes exceeds the 1 GiB limit")
        if HEADER_SIZE + size > len(self._buf):
            self._buf = bytearray(2 * (HEADER_SIZE + size))
            self._mv = memoryview(self._buf)
        buf = self._buf
        _HEADER.pack_into(buf, 0, MAGIC, PROTOCOL_VERSION, Reply.SCORES, size, seq)
        _U32.pack_into(buf, HEADER_SIZE, len(pages))
        pos = HEADER_SIZE + 4
        for s in pages:
            n = len(s)
            _U32.pack_into(buf, pos, n)
            pos += 4
            np.frombuffer(buf, _F8, n, pos)[:] = s
            pos += 8 * n
        self._send(self._mv[:pos])


def enlarge_pipe(fd: int, size: int = 1 << 20) -> None:
    """Ask for a pipe buffer of size bytes on fd, so that a whole page fits in
    it; a no-op where fd is not a pipe or the system refuses."""
    try:
        import fcntl
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, size)
    except (ImportError, AttributeError, OSError):
        pass
