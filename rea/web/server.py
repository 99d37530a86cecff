"""The HTTP server: waitress (pure Python, threaded, no C build) around the Flask application."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import waitress
from flask import Flask
from waitress import wasyncore
from waitress.server import BaseWSGIServer

from rea.config import ReviewPaths
from rea.errors import ConfigError
from rea.pipeline.serve import WebReview
from rea.web.app import create_app

THREADS = 8
LOOPBACK = ("127.0.0.1", "localhost", "::1")


@dataclass
class Server:
    """A bound server: its address, and how to run and stop it."""

    review: WebReview
    app: Flask
    wsgi: BaseWSGIServer
    host: str
    port: int

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def run(self) -> None:
        """Serve until :meth:`stop` (or Ctrl-C)."""
        try:
            self.wsgi.run()
        finally:
            self.wsgi.task_dispatcher.shutdown()
            self.review.close()

    def run_in_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, name="rea-serve", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        """Stop serving: every socket is closed on the server's own thread (through waitress's
        trigger), so its loop ends instead of polling a closed socket."""
        sockets = self.wsgi._map  # waitress keeps no public name for its socket map
        self.wsgi.trigger.pull_trigger(lambda: wasyncore.close_all(sockets))


def start_server(
    paths: ReviewPaths, host: str = "127.0.0.1", port: int = 8765, *, threads: int = THREADS
) -> Server:
    """Bind the review's server (port 0: any free port); :meth:`Server.run` serves it."""
    review = WebReview(paths)
    try:
        app = create_app(review)
        wsgi = waitress.create_server(  # one host and port: a single-socket server
            app,
            host=host,
            port=port,
            threads=threads,
            ident="rea",
            clear_untrusted_proxy_headers=True,
        )
    except OSError as exc:
        review.close()
        raise ConfigError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}",
            hint="choose another --port, or stop what is listening there",
        ) from exc
    except BaseException:
        review.close()
        raise
    if not isinstance(wsgi, BaseWSGIServer):  # the host name stands for several addresses
        wsgi.close()
        review.close()
        raise ConfigError(
            f"{host} names more than one address to listen on",
            hint="give --host as one address, e.g. 127.0.0.1 or ::1",
        )
    bound_port = int(wsgi.effective_port)
    return Server(review, app, wsgi, host, bound_port)


def is_loopback(host: str) -> bool:
    return host in LOOPBACK or host.startswith("127.")
