"""One trace computed in a process of its own, so that a render (or another trace) can use the other core.

``python -m pipeline.tracejob '{"name": "dqn.default", "overrides": {"dqn": {"lr": 0.001}}}'`` ensures the
trace through the store (its lock, checks and atomic writes) and prints one JSON line: ``cached``,
``wall_s``, ``key``. A failure prints its one-line message on stderr and exits 1 (2 for bad input).
"""

from __future__ import annotations

import json
import sys

from pipeline.errors import ComputeError, UsageError
from pipeline.traces import TraceSpec, TraceStore

__all__ = ["main"]


def main(argv: list[str]) -> int:
    request = json.loads(argv[0])
    spec = TraceSpec.from_name(request["name"], request.get("overrides") or {})
    try:
        result = TraceStore().ensure(spec)
    except UsageError as exc:
        print(exc, file=sys.stderr)
        return 2
    except ComputeError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(json.dumps({"cached": result.cached, "wall_s": result.meta.get("wall_s"), "key": result.key}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
