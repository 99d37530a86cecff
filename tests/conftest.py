"""Shared fixtures."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def own_state_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Every test gets its own rea state folder (the shared request-rate slots), so that tests
    never share the user's real one, nor one another's reserved slots."""
    folder = tmp_path_factory.mktemp("rea-state")
    patch = pytest.MonkeyPatch()
    patch.setenv("REA_STATE_DIR", str(folder))
    yield folder
    patch.undo()
