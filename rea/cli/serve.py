"""CLI commands: rea serve (team screening in the browser), invite, revoke, links."""

from __future__ import annotations

import click

from rea.cli.options import json_option, resolve_review, review_option
from rea.pipeline import serve as pipeline


def register(group: click.Group) -> None:
    """Add this module's commands to the `rea` group."""

    @group.group(
        "serve",
        invoke_without_command=True,
        epilog="""\b
Example:
  rea serve invite JS          # prints JS's personal link
  rea serve --review searches/pcn-rea
  rea serve --host 0.0.0.0 --port 8765   # a team server: put it behind TLS""",
    )
    @review_option
    @click.option(
        "--host",
        default="127.0.0.1",
        show_default=True,
        help="Address to listen on (127.0.0.1: this computer only).",
    )
    @click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True)
    @click.pass_context
    def serve(ctx: click.Context, review: str | None, host: str, port: int) -> None:
        """Serve the review's screening to its reviewers' browsers.

        Each reviewer opens their personal link (rea serve invite NAME) and screens with the
        same queue, keys, blinding and audit trail as rea screen; the adjudicator's link opens
        the conflicts page. The terminal screen and rea decide keep working meanwhile.
        """
        if ctx.invoked_subcommand is not None:
            return
        from rea.web.server import is_loopback, start_server

        server = start_server(resolve_review(review), host, port)
        if server.review.warning:
            click.echo(f"Warning: {server.review.warning}", err=True)
        if not is_loopback(host):
            click.echo(
                f"Warning: listening on {host}, reachable from other computers. The links and "
                "decisions travel in clear text: a team server should sit behind TLS (an https "
                "reverse proxy).",
                err=True,
            )
        click.echo(f"Serving {server.review.paths.id} at {server.url} (Ctrl-C stops)", err=True)
        try:
            server.run()
        except KeyboardInterrupt:
            click.echo("stopped", err=True)

    @serve.command(
        "invite",
        epilog="""\b
Example:
  rea serve invite JS
  rea serve invite MS --url https://screening.example.org""",
    )
    @review_option
    @click.argument("reviewer")
    @click.option(
        "--url",
        default=pipeline.DEFAULT_URL,
        show_default=True,
        help="The server's address as the reviewer's browser reaches it.",
    )
    def invite(review: str | None, reviewer: str, url: str) -> None:
        """Print a new personal link for REVIEWER (a reviewer of screening.toml).

        Only a hash of the link is stored; the reviewer's earlier link stops working. Send it
        to the reviewer alone: whoever holds it screens as that reviewer.
        """
        made = pipeline.invite(resolve_review(review), reviewer, base_url=url)
        click.echo(made.url)
        if made.revoked:
            click.echo(f"{reviewer}'s earlier link no longer works.", err=True)

    @serve.command(
        "revoke",
        epilog="""\b
Example:
  rea serve revoke JS""",
    )
    @review_option
    @click.argument("reviewer")
    def revoke(review: str | None, reviewer: str) -> None:
        """Stop REVIEWER's personal link from working (at once, also on a running server)."""
        n = pipeline.revoke(resolve_review(review), reviewer)
        click.echo(f"{reviewer}: {n} link{'s' if n != 1 else ''} revoked")

    @serve.command(
        "links",
        epilog="""\b
Example:
  rea serve links""",
    )
    @review_option
    @json_option
    def links(review: str | None, as_json: bool) -> None:
        """List the personal links made, and which still work (the links themselves are not
        stored and cannot be shown again)."""
        rows = pipeline.links(resolve_review(review))
        if as_json:
            import json

            click.echo(
                json.dumps(
                    [
                        {"reviewer": r.reviewer, "created_at": r.created_at,
                         "revoked_at": r.revoked_at}
                        for r in rows
                    ],
                    indent=2,
                )
            )  # fmt: skip
            return
        if not rows:
            click.echo("No links yet: rea serve invite NAME")
        for r in rows:
            state = f"revoked {r.revoked_at}" if r.revoked_at else "valid"
            click.echo(f"{r.reviewer}\t{r.created_at}\t{state}")
