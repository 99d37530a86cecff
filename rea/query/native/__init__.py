"""Read native search strategies back into rea's strategy format.

``read_native(text, "ovid")`` returns an :class:`Imported` (the tree, the limits found beside
it, notes on what could not be carried over); :func:`to_toml` writes it as a ``strategy.toml``
with concept blocks and an expression over them. Each database's reader is named by its entry in
:mod:`rea.query.databases` (``reader``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from rea.errors import StrategyError
from rea.query.databases import DATABASES
from rea.query.native.common import Imported, NativeError
from rea.query.native.write import to_toml

Reader = Callable[..., Imported]


def readers() -> list[str]:
    """The databases whose strategies rea reads back."""
    return [db for db, entry in DATABASES.items() if entry.reader is not None]


def read_native(text: str, db: str, *, path: str | None = None) -> Imported:
    """Read ``text`` written in ``db``'s syntax; raises :class:`StrategyError` with the line
    and column of what cannot be read."""
    entry = DATABASES.get(db)
    if entry is None or entry.reader is None:
        raise StrategyError(
            f"rea cannot read {db!r} strategies", hint=f"choose one of: {', '.join(readers())}"
        )
    module = importlib.import_module(f"rea.query.native.{entry.reader}")
    function: Reader = getattr(module, "read_" + db.replace("-", "_"), None) or module.read
    imported = function(text, path=path)
    if imported.tree is None:
        raise StrategyError("no search terms were found", where=path)
    return imported


__all__ = ["Imported", "NativeError", "read_native", "readers", "to_toml"]
