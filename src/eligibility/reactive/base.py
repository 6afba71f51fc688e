"""The contract every reactive backend keeps, and the factory that picks one by name.

A backend stores firms' facts and answers their current decisions at the watcher's as_of;
the Watcher (not the backend) diffs decisions into events, so every backend yields the same
event stream.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import TYPE_CHECKING, Protocol

from ..errors import EligibilityError

if TYPE_CHECKING:
    from ..results import Decision
    from ..engine import Engine
    from ..facts.profile import Profile

BACKENDS = ("python", "durable")
"""Names accepted by :func:`make_backend` (and ``Watcher(backend=...)``)."""


class ReactiveBackend(Protocol):
    """Keeps firms' facts and answers their current decisions at the watcher's as_of."""

    def put(self, entity_id: str, profile: Profile) -> list[Decision]:
        """Store or replace the firm; return the decisions of every rule in scope for it now,
        after groups — exactly what the compiled path ``Engine.decide(profile, as_of)`` returns."""
        ...

    def remove(self, entity_id: str) -> None:
        """Forget the firm (a no-op when it is not stored)."""
        ...

    def advance_to(self, day: date) -> Iterator[tuple[str, list[Decision]]]:
        """Move as_of to ``day`` (forward or back); yield ``(entity_id, decisions)`` for every firm
        whose decisions may have changed (the Watcher diffs; yielding extra firms is allowed)."""
        ...

    def close(self) -> None:
        """Release what the backend holds (the Watcher is unusable afterwards)."""
        ...


def make_backend(name: str, engine: Engine, as_of: date) -> ReactiveBackend:
    """The backend called ``name`` ("python" or "durable") for ``engine`` at ``as_of``."""
    if name == "python":
        from .python import PythonBackend

        return PythonBackend(engine, as_of)
    if name == "durable":
        from .durable import DurableBackend

        return DurableBackend(engine, as_of)
    raise EligibilityError(
        f"未知的响应式后端 {name!r}；可选：{', '.join(BACKENDS)}",
        f"unknown reactive backend {name!r}; choose one of: {', '.join(BACKENDS)}",
        backend=name, choices=BACKENDS,
    )
