"""airtime's Python side: write a ranker, serve it to a simulation, read results.

- :mod:`airtime.ranker`: the :class:`Ranker` base class and :func:`serve`;
- :mod:`airtime.protocol`: the wire protocol (docs/ranker-protocol.md);
- :mod:`airtime.results`: a run's results.db as pandas DataFrames (import it
  explicitly; it needs pandas).

Manual: python/README.md.
"""

from .protocol import (
    Candidates,
    Context,
    Feature,
    FeatureKind,
    ProtocolError,
    Schema,
    TrainingSet,
)
from .ranker import Ranker, RankerError, run_session, serve

__all__ = [
    "Candidates",
    "Context",
    "Feature",
    "FeatureKind",
    "ProtocolError",
    "Ranker",
    "RankerError",
    "Schema",
    "TrainingSet",
    "run_session",
    "serve",
]
