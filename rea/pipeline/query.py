"""Use cases of the search strategy: render queries, write them all, lint, show."""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from rea.config import find_review
from rea.errors import ConfigError, StrategyError
from rea.files import replacing_folder, write_text_atomic
from rea.query import DATABASES, Finding, RenderedQuery, Strategy, load_strategy, render
from rea.query.lint import lint_strategy, lint_text


def strategy_of(review: str | Path | None) -> Strategy:
    """The strategy of the review folder given, or found ($REA_REVIEW, the one in searches/)."""
    return load_strategy(find_review(review).strategy)


def render_query(
    review: str | Path | None, db: str, stage_id: str, *, review_filter: bool = False
) -> RenderedQuery:
    return render(strategy_of(review), db, stage_id, review_filter=review_filter)


def render_all(review: str | Path | None, out: Path, *, review_filter: bool = False) -> list[Path]:
    """Write every stage x database query to ``out/<stage>/<db>.txt`` and the warnings and API
    parameters of each to ``out/NOTES.md``; returns the files written.

    The set is written into a new folder that then takes ``out``'s place at once, so a kill
    leaves the old set or the new one, never a mix. Other files in ``out`` are kept; rendered
    files of stages no longer in the strategy go.
    """
    strategy = strategy_of(review)
    rendered: dict[Path, str] = {}
    notes = [
        f"# Rendered queries: {strategy.review_id}",
        "",
        "Written by `rea query render --all` from strategy.toml; do not edit by hand.",
        "Each file holds the query to paste or send; what each database could not express",
        "exactly is listed here.",
    ]
    for stage in strategy.stages:
        notes += ["", f"## {stage.id}: {stage.label}", ""]
        for db in DATABASES:
            query = render(strategy, db, stage.id, review_filter=review_filter)
            rendered[Path(stage.id) / f"{db}.txt"] = query.text + "\n"
            notes.append(f"### {db} ({stage.id}/{db}.txt)")
            notes.append("")
            if query.params:
                shown = ", ".join(f"{k}={v}" for k, v in query.params.items())
                notes.append(f"- API parameters sent with the query: {shown}")
            notes += [f"- {w}" for w in query.warnings] or ["- nothing to note"]
            notes.append("")
    rendered[Path("NOTES.md")] = "\n".join(notes).rstrip() + "\n"
    with replacing_folder(out, what="the rendered queries") as new:
        if out.is_dir():
            _keep_other_files(out, new)
        for relative, text in rendered.items():
            write_text_atomic(new / relative, text)
    return [out / relative for relative in rendered]


def _keep_other_files(old: Path, new: Path) -> None:
    """Copy into ``new`` what ``old`` holds besides rendered queries (``<stage>/<db>.txt``) and
    NOTES.md: files the team keeps beside them."""
    for path in sorted(old.rglob("*")):
        relative = path.relative_to(old)
        rendered = len(relative.parts) == 2 and path.stem in DATABASES and path.suffix == ".txt"
        if path.is_dir() or rendered or relative == Path("NOTES.md"):
            continue
        (new / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, new / relative, follow_symlinks=False)


@dataclass(frozen=True)
class LintReport:
    """The findings of a lint run and what they mean for the exit code."""

    findings: tuple[Finding, ...]

    @property
    def errors(self) -> int:
        return sum(f.severity == "error" for f in self.findings)

    @property
    def warnings(self) -> int:
        """Warnings not accepted in the strategy's ``[lint] accept`` list."""
        return sum(f.severity == "warning" and not f.accepted for f in self.findings)

    @property
    def accepted(self) -> int:
        return sum(bool(f.accepted) for f in self.findings)


def lint(review: str | Path | None = None, *, verbatim: Path | None = None) -> LintReport:
    """Lint a review's strategy, or a search text file exactly as printed (``verbatim``)."""
    if verbatim is not None:
        try:
            text = verbatim.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(
                f"cannot read the search text: {exc.strerror}", where=str(verbatim)
            ) from None
        return LintReport(tuple(lint_text(text, path=verbatim)))
    return LintReport(tuple(lint_strategy(strategy_of(review))))


@dataclass(frozen=True)
class ImportedStrategy:
    """A native strategy read back: the ``strategy.toml`` text, where it was written (None when
    only printed), and what could not be carried over."""

    text: str
    path: Path | None
    notes: tuple[str, ...]
    blocks: int


def import_strategy(
    file: Path,
    db: str,
    *,
    out: Path | None = None,
    review_id: str | None = None,
    title: str | None = None,
    force: bool = False,
) -> ImportedStrategy:
    """Read a strategy written in ``db``'s syntax and write it as ``out`` (a strategy.toml);
    the text is checked by loading it before anything is written."""
    from rea.query.databases import DATABASES
    from rea.query.native import read_native, to_toml

    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the search: {exc}", where=str(file)) from None
    if out is not None and out.exists() and not force:
        raise ConfigError(
            "the strategy file exists already", where=str(out), hint="pass --force to replace it"
        )
    imported = read_native(text, db, path=str(file))
    if review_id is None:
        base = out.parent.name if out is not None else file.stem
        review_id = re.sub(r"[^A-Za-z0-9_.-]+", "-", base).strip("-.") or "imported"
        if not review_id[0].isalnum():
            review_id = f"r{review_id}"
    label = DATABASES[db].label
    written = to_toml(
        imported,
        review_id=review_id,
        title=title or f"Imported from {label}: {file.name}",
        source=file.name,
    )
    with tempfile.TemporaryDirectory() as tmp:
        check = Path(tmp) / "strategy.toml"
        check.write_text(written, encoding="utf-8")
        try:
            strategy = load_strategy(check)
        except StrategyError as exc:  # a bug in the writer: say so plainly
            raise StrategyError(
                f"the imported strategy does not load ({exc.what}); please report this",
                where=str(file),
            ) from exc
    if out is not None:
        write_text_atomic(out, written, what="the strategy file")
    return ImportedStrategy(written, out, tuple(imported.notes), len(strategy.blocks))
