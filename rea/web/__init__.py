"""``rea serve``: team screening in the browser (Flask, served by waitress).

The application (:func:`create_app`) calls the same ``rea.pipeline`` use cases as the CLI; every
asset it sends ships in this package (``templates/``, ``static/``), so it works offline.
"""

from rea.web.app import create_app
from rea.web.server import Server, start_server

__all__ = ["Server", "create_app", "start_server"]
