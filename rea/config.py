"""Settings from the environment, and the one ``redact()`` for URLs, headers and parameters."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

REDACTED = "***"

#: Names of parameters and headers whose values are secrets, lower case.
SECRET_NAMES = frozenset(
    {
        "api_key",
        "apikey",
        "x-els-apikey",
        "x-els-insttoken",
        "insttoken",
        "authorization",
        "ncbi_api_key",
        "scopus_api_key",
        "scopus_insttoken",
        "openalex_api_key",
        # contact addresses (NCBI's email, Crossref's and OpenAlex's mailto, Unpaywall's email)
        # are personal data: kept out of snapshots, logs and reports like keys
        "email",
        "mailto",
    }
)

#: Environment variables that hold secrets (and the contact addresses, redacted likewise).
SECRET_ENV = (
    "NCBI_API_KEY",
    "SCOPUS_API_KEY",
    "SCOPUS_INSTTOKEN",
    "OPENALEX_API_KEY",
    "OPENCITATIONS_ACCESS_TOKEN",
    "NCBI_EMAIL",
    "REA_EMAIL",
)

DEFAULT_PUBMED_URL = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils"
DEFAULT_SCOPUS_URL = "https://api.elsevier.com/content/search/scopus"
# citation searching and full-text retrieval (docs/citations.md)
DEFAULT_OPENCITATIONS_URL = "https://api.opencitations.net/index/v2"
DEFAULT_CROSSREF_URL = "https://api.crossref.org"
DEFAULT_OPENALEX_URL = "https://api.openalex.org"
DEFAULT_UNPAYWALL_URL = "https://api.unpaywall.org/v2"
DEFAULT_EUROPEPMC_URL = "https://www.ebi.ac.uk/europepmc/webservices/rest"


@dataclass(frozen=True)
class Settings:
    """What rea reads from the environment. Secrets live here and nowhere else."""

    pubmed_url: str = DEFAULT_PUBMED_URL
    scopus_url: str = DEFAULT_SCOPUS_URL
    ncbi_api_key: str | None = None
    ncbi_email: str | None = None
    ncbi_tool: str = "rea"
    scopus_api_key: str | None = None
    scopus_insttoken: str | None = None
    opencitations_url: str = DEFAULT_OPENCITATIONS_URL
    crossref_url: str = DEFAULT_CROSSREF_URL
    openalex_url: str = DEFAULT_OPENALEX_URL
    unpaywall_url: str = DEFAULT_UNPAYWALL_URL
    europepmc_url: str = DEFAULT_EUROPEPMC_URL
    #: the contact address sent to Crossref and OpenAlex (mailto) and Unpaywall (email):
    #: REA_EMAIL, else NCBI_EMAIL
    contact_email: str | None = None
    openalex_api_key: str | None = None
    opencitations_token: str | None = None
    #: per-user state shared by rea processes (the request-rate slots); None: no sharing
    state_dir: Path | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env

        def get(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        def url(name: str, default: str) -> str:
            return (get(name) or default).rstrip("/")

        return cls(
            pubmed_url=(get("REA_PUBMED_URL") or DEFAULT_PUBMED_URL).rstrip("/"),
            scopus_url=(get("REA_SCOPUS_URL") or DEFAULT_SCOPUS_URL).rstrip("/"),
            ncbi_api_key=get("NCBI_API_KEY"),
            ncbi_email=get("NCBI_EMAIL") or get("REA_EMAIL"),
            ncbi_tool=get("NCBI_TOOL") or "rea",
            scopus_api_key=get("SCOPUS_API_KEY"),
            scopus_insttoken=get("SCOPUS_INSTTOKEN"),
            opencitations_url=url("REA_OPENCITATIONS_URL", DEFAULT_OPENCITATIONS_URL),
            crossref_url=url("REA_CROSSREF_URL", DEFAULT_CROSSREF_URL),
            openalex_url=url("REA_OPENALEX_URL", DEFAULT_OPENALEX_URL),
            unpaywall_url=url("REA_UNPAYWALL_URL", DEFAULT_UNPAYWALL_URL),
            europepmc_url=url("REA_EUROPEPMC_URL", DEFAULT_EUROPEPMC_URL),
            contact_email=get("REA_EMAIL") or get("NCBI_EMAIL"),
            openalex_api_key=get("OPENALEX_API_KEY"),
            opencitations_token=get("OPENCITATIONS_ACCESS_TOKEN"),
            state_dir=default_state_dir(env),
        )

    def secrets(self) -> list[str]:
        """Every secret and contact address set, for redaction."""
        values = (
            self.ncbi_api_key,
            self.scopus_api_key,
            self.scopus_insttoken,
            self.openalex_api_key,
            self.opencitations_token,
            self.ncbi_email,
            self.contact_email,
        )
        return [s for s in values if s]


#: Seconds a command waits for another to release the review's store before it gives up.
DEFAULT_BUSY_TIMEOUT = 30.0


def busy_timeout(env: Mapping[str, str] | None = None) -> float:
    """``REA_BUSY_TIMEOUT`` (seconds, default 30): how long to wait for a locked store."""
    from rea.errors import ConfigError

    env = os.environ if env is None else env
    raw = env.get("REA_BUSY_TIMEOUT", "").strip()
    if not raw:
        return DEFAULT_BUSY_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 86_400:
        raise ConfigError(
            f"REA_BUSY_TIMEOUT must be a number of seconds from 0 to 86400, not {raw!r}"
        )
    return value


#: The largest export ``rea import`` reads unless told otherwise (REA_IMPORT_MAX_SIZE,
#: ``--max-size``): far above any database's export limit (PubMed 10,000 records, Scopus
#: 20,000, Web of Science 1,000 per file), far below what would exhaust a laptop.
DEFAULT_IMPORT_MAX_SIZE = 512 * 1024**2

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$", re.I)
_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}


def parse_size(text: str) -> int:
    """``"512M"``, ``"2G"``, ``"1.5GB"``, ``"700000"`` → bytes (K, M, G, T: powers of 1024)."""
    from rea.errors import ConfigError

    match = _SIZE.match(text)
    if not match:
        raise ConfigError(
            f"not a size: {text!r}", hint="a number of bytes, or with K, M or G, e.g. 2G"
        )
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


def format_size(n: int) -> str:
    """Bytes as a person reads them: ``2.0 GB``, ``512 MB``, ``900 bytes`` (powers of 1024)."""
    for unit, factor in (("TB", 1024**4), ("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if n >= factor:
            value = n / factor
            return f"{value:.1f} {unit}" if value < 10 else f"{value:.0f} {unit}"
    return f"{n} bytes"


def import_max_size(env: Mapping[str, str] | None = None) -> int:
    """``REA_IMPORT_MAX_SIZE`` (e.g. ``2G``), or the default of 512 MB."""
    env = os.environ if env is None else env
    raw = env.get("REA_IMPORT_MAX_SIZE", "").strip()
    return parse_size(raw) if raw else DEFAULT_IMPORT_MAX_SIZE


def default_state_dir(env: Mapping[str, str] | None = None) -> Path:
    """Where rea keeps per-user state shared by its processes: ``$REA_STATE_DIR``, else
    ``$XDG_STATE_HOME/rea``, else ``~/.local/state/rea``."""
    env = os.environ if env is None else env
    if env.get("REA_STATE_DIR", "").strip():
        return Path(env["REA_STATE_DIR"].strip())
    base = env.get("XDG_STATE_HOME", "").strip()
    return (Path(base) if base else Path.home() / ".local" / "state") / "rea"


def _is_secret(name: str) -> bool:
    return name.lower() in SECRET_NAMES


def redact_params(params: Mapping[str, object]) -> dict[str, object]:
    """A copy of request parameters or headers with every secret value replaced."""
    return {k: (REDACTED if _is_secret(k) else v) for k, v in params.items()}


def redact_url(url: str) -> str:
    """The URL with secret query parameters replaced."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    query = [(k, REDACTED if _is_secret(k) else v) for k, v in parse_qsl(parts.query, True)]
    return urlunsplit(parts._replace(query=urlencode(query, safe="*")))


def redact(text: str, secrets: list[str] | None = None) -> str:
    """Text (a log line, an error message) with every known secret value replaced."""
    values = list(secrets or [])
    values += [os.environ[name] for name in SECRET_ENV if os.environ.get(name)]
    for value in sorted(set(values), key=len, reverse=True):
        if len(value) >= 4:
            text = text.replace(value, REDACTED)
    return re.sub(
        r"(?i)(api_key|apikey|insttoken|mailto|email)=[^&\s\"']+", rf"\1={REDACTED}", text
    )


@dataclass(frozen=True)
class ReviewPaths:
    """Where a review keeps its files; everything is relative to the review's folder."""

    root: Path

    @property
    def id(self) -> str:
        return self.root.name

    @property
    def strategy(self) -> Path:
        return self.root / "strategy.toml"

    @property
    def screening(self) -> Path:
        return self.root / "screening.toml"

    @property
    def store(self) -> Path:
        return self.root / "store.sqlite"

    @property
    def runs(self) -> Path:
        return self.root / "runs"

    @property
    def imports(self) -> Path:
        return self.root / "imports"

    @property
    def queries(self) -> Path:
        return self.root / "queries"

    @property
    def report(self) -> Path:
        return self.root / "report"


def find_review(given: str | Path | None, env: Mapping[str, str] | None = None) -> ReviewPaths:
    """The review folder named on the command line, by ``REA_REVIEW``, or the only one in
    ``./searches``."""
    from rea.errors import ConfigError

    env = os.environ if env is None else env
    chosen = given or env.get("REA_REVIEW")
    if chosen:
        root = Path(chosen)
        if not root.is_dir() and (Path("searches") / str(chosen)).is_dir():
            root = Path("searches") / str(chosen)
    else:
        candidates = sorted(p.parent for p in Path("searches").glob("*/strategy.toml"))
        if len(candidates) != 1:
            found = ", ".join(str(c) for c in candidates) or "none"
            raise ConfigError(
                f"cannot tell which review to use (reviews under ./searches: {found})",
                hint="pass --review searches/<name> or set REA_REVIEW",
            )
        root = candidates[0]
    if not root.is_dir():
        raise ConfigError("no such review folder", where=str(root))
    if not (root / "strategy.toml").is_file():
        raise ConfigError(
            "the review folder has no strategy.toml",
            where=str(root),
            hint="see searches/pcn-rea/strategy.toml for the format",
        )
    return ReviewPaths(root)
