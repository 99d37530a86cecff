"""The ``rea`` command line: parsing, printing and exit codes, nothing else.

Every command calls one library function. Library errors (:class:`rea.errors.ReaError`) are turned
into one ``Error: …`` line (plus a ``Hint: …`` line) on stderr, here and only here.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import click

from rea import __version__
from rea.config import redact
from rea.errors import ReaError

EXIT_USAGE = 2


class ReaGroup(click.Group):
    """A click group that turns ReaError into ``Error: …`` and its exit code, and keeps escape
    sequences and control characters in record text from reaching the terminal."""

    def invoke(self, ctx: click.Context) -> Any:
        from rea.cli.terminal import safe_output

        with safe_output():
            try:
                return super().invoke(ctx)
            except ReaError as exc:
                click.echo(f"Error: {redact(exc.message())}", err=True)
                if exc.hint:
                    click.echo(f"Hint: {redact(exc.hint)}", err=True)
                ctx.exit(exc.exit_code)


@click.group(
    cls=ReaGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog="""\b
Example:
  rea query render --db pubmed --stage 2013-2018-all
  rea search && rea dedup && rea screen --phase title_abstract --reviewer JS""",
)
@click.version_option(__version__, prog_name="rea")
def main() -> None:
    """rea: a reproducible rapid evidence assessment pipeline.

    Write the search strategy once (searches/<review>/strategy.toml); rea renders it for each
    database, runs and imports the searches, deduplicates, queues screening, counts PRISMA 2020
    numbers and writes the report.
    """


def _register() -> None:
    from rea.cli import citations, dedup, prisma, query, screening, serve, simulate, sources

    for module in (query, sources, citations, dedup, screening, serve, prisma, simulate):
        module.register(main)


_register()


def run(argv: Sequence[str] | None = None) -> int:
    """Entry point for tests: run the CLI in-process and return the exit code."""
    try:
        main.main(args=list(argv) if argv is not None else None, standalone_mode=False)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
