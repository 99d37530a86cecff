"""PubMed through NCBI E-utilities: esearch lists the PMIDs (sliced when past 9,999), efetch
fetches their records as XML, and every step checks that nothing was lost or added.

Every response goes through a :class:`~rea.sources.snapshots.SourceSnapshot`: it is read (parsed
whole) first, stored byte for byte only when it is data, and found again on ``--resume``.

What is checked, and what is done about it:

- **Listing.** The ``Count`` of the call that lists the ids decides whether the ids can all be
  listed (esearch never lists past the 9,999th): above the cap the date range is cut into
  slices, planned from that count, and a single day above the cap is cut by PMID ranges
  (``lo:hi[uid]``), as NCBI's EDirect does. A listing whose distinct ids differ from the count is
  listed again (another round, really asked again), then recounted; what still differs is
  reported, never hidden.
- **PubMed's own messages** (``ErrorList``/``WarningList``: a phrase not found, a field not
  found, a phrase ignored, a wildcard cut short) mean PubMed ran another query than the one
  written: they are kept, shown, and an error under ``strict``.
- **Fetching.** Only records asked for are kept: a PMID outside the batch, one from another
  batch, one the answer holds twice, are dropped. A batch that comes back short is asked again
  (a new request, not the stored first answer); what is still missing is asked for one PMID at
  a time, which tells a PMID that NCBI merged into another (the answer holds the new PMID: kept
  as an alias, the record stored once) from one that is gone. A batch whose answer never reads
  is halved until the unreadable record is found, and that record is reported as missing with
  what PubMed said.
"""

from __future__ import annotations

import itertools
import math
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TypeVar

from rea.config import Settings
from rea.errors import (
    BlockedError,
    ConfigError,
    NotData,
    SourceError,
    UnreadableAnswer,
)
from rea.records import Provenance, Record
from rea.sources.http import Http, HttpResponse, Sleep
from rea.sources.pubmed_xml import EfetchAnswer, EsearchAnswer, read_efetch, read_esearch
from rea.sources.ratelimit import LIMITS
from rea.sources.snapshots import Fetched, Page, Reader, SourceSnapshot

T = TypeVar("T")

SOURCE = "pubmed"
#: esearch never returns an id past this position of a result set.
ESEARCH_CAP = 9_999
BATCH_SIZE = 200
#: a batch that came back short is asked again this many times
REFETCH_ROUNDS = 2
#: listings of the ids before a count that does not match is reported
LIST_ROUNDS = 3
#: PMIDs still missing after the refetch rounds that are asked for one at a time
PROBE_LIMIT = 100
#: halvings of batches whose answer never reads, per search
BISECT_BUDGET = 48
#: slices a listing may use beyond ten per 9,999 records counted (a bound for a service whose
#: counts never fall under the cap, however narrow the slice)
SLICE_BUDGET = 50
EARLIEST = date(1781, 1, 1)
UID_MAX = 999_999_999

Progress = Callable[[str], None]

BLOCKED_HINT = (
    "NCBI answered with a web page instead of data, which it does when an address sends too many "
    "requests or looks automated. Wait an hour, set NCBI_API_KEY (and NCBI_EMAIL), then rerun "
    "with --resume; if it persists, write to eutilities@ncbi.nlm.nih.gov."
)

#: PubMed's esearch messages, as they are named in its ErrorList / WarningList.
MESSAGE_MEANING = {
    "PhraseNotFound": "a term matched nothing and was left out of the search",
    "QuotedPhraseNotFound": "a quoted phrase matched nothing",
    "FieldNotFound": "a field tag is unknown and was ignored",
    "PhraseIgnored": "a term was ignored (a stopword or too common)",
    "OutputMessage": "PubMed's note on how it ran the query",
}


def make_http(settings: Settings, *, sleep: Sleep = time.sleep) -> Http:
    """The E-utilities client: 3 requests/s, 10 with an API key (with a safety margin), one
    rate for every rea process of the user."""
    rate = LIMITS["ncbi"].rate(keyed=bool(settings.ncbi_api_key))
    return Http(
        api="ncbi",
        base_url=settings.pubmed_url,
        rate=rate,
        secrets=settings.secrets(),
        sleep=sleep,
        state_dir=settings.state_dir,
    )


def common_params(settings: Settings) -> dict[str, str]:
    """``tool`` and ``email`` on every call (NCBI's policy), and the key when there is one."""
    params = {"tool": settings.ncbi_tool}
    if settings.ncbi_email:
        params["email"] = settings.ncbi_email
    if settings.ncbi_api_key:
        params["api_key"] = settings.ncbi_api_key
    return params


_BLOCK_WORDS = re.compile(rb"block|denied|misuse|captcha|too many requests", re.IGNORECASE)
_ERROR = re.compile(rb"<ERROR>(.*?)</ERROR>", re.DOTALL)


def check_eutils(response: HttpResponse) -> None:
    """Tell a refusal from data by status (raise) — called before anything is read or stored.

    429 and 5xx are left to :class:`~rea.sources.http.Http`, which retries them; a 200 is left
    to the readers, which tell data from what is not.
    """
    if response.status == 429 or response.status >= 500:
        return
    head = response.body[:4096].lstrip().lower()
    is_html = head.startswith((b"<!doctype html", b"<html"))
    if is_html and response.status in (200, 403) and _BLOCK_WORDS.search(response.body[:8192]):
        raise BlockedError(
            f"NCBI returned an HTML page (HTTP {response.status}), not data",
            where=response.url,
            hint=BLOCKED_HINT,
            status=response.status,
        )
    if is_html and response.status < 300:
        raise NotData(f"NCBI answered an HTML page, not data (HTTP {response.status})")
    if 400 <= response.status < 500:
        detail = _error_detail(response.body)
        raise SourceError(
            f"PubMed refused the request (HTTP {response.status}){': ' + detail if detail else ''}",
            where=response.url,
            hint="check the query text and the parameters; this is not retried",
            status=response.status,
        )


def _error_detail(body: bytes) -> str:
    match = _ERROR.search(body) or re.search(rb'"error"\s*:\s*"([^"]*)"', body)
    text = match.group(1) if match else body[:300]
    return " ".join(text.decode("utf-8", errors="replace").split())[:300]


def _fmt(day: date) -> str:
    return day.strftime("%Y/%m/%d")


def _parse_date(value: str, *, end: bool) -> date:
    parts = [int(p) for p in re.findall(r"\d+", value)]
    if not parts:
        raise ConfigError(f"cannot read the date {value!r}")
    year = parts[0]
    if len(parts) == 1:
        return date(year, 12, 31) if end else date(year, 1, 1)
    month = parts[1]
    if len(parts) == 2:
        if not end:
            return date(year, month, 1)
        following = date(year + (month == 12), month % 12 + 1, 1)
        return following - timedelta(days=1)
    return date(year, month, parts[2])


@dataclass(frozen=True)
class Slice:
    """A part of the search: a date range (None: the query's own), and a PMID range."""

    lo: date | None = None
    hi: date | None = None
    uid: tuple[int, int] | None = None

    def label(self) -> str:
        text = f"{_fmt(self.lo)}-{_fmt(self.hi)}" if self.lo and self.hi else "the whole range"
        if self.uid is not None:
            text += f", PMIDs {self.uid[0]}-{self.uid[1]}"
        return text


@dataclass
class Listing:
    """What listing one slice gave: the count reported, the ids (in order, distinct), and
    whether every slice listed as many distinct ids as it reported."""

    count: int
    ids: dict[str, None]
    consistent: bool


def _partition_days(lo: date, hi: date, parts: int) -> list[tuple[date, date]]:
    days = (hi - lo).days + 1
    parts = max(2, min(parts, days))
    bounds = [lo + timedelta(days=round(i * days / parts)) for i in range(parts + 1)]
    found = []
    for start, stop in itertools.pairwise(bounds):
        if stop > start:
            found.append((start, stop - timedelta(days=1)))
    return found


def _partition_uids(lo: int, hi: int, sample: list[int], parts: int) -> list[tuple[int, int]]:
    """``parts`` PMID ranges covering [lo, hi], cut at the quantiles of the ids seen."""
    inside = sorted(i for i in set(sample) if lo <= i <= hi)
    cuts: list[int] = []
    if len(inside) >= parts:
        cuts = [inside[len(inside) * k // parts] for k in range(1, parts)]
    else:
        cuts = [lo + (hi - lo) * k // parts for k in range(1, parts)]
    edges = sorted({c for c in cuts if lo < c <= hi})
    if not edges:
        edges = [lo + (hi - lo + 1) // 2]
    ranges = []
    start = lo
    for cut in edges:
        ranges.append((start, cut - 1))
        start = cut
    ranges.append((start, hi))
    return [r for r in ranges if r[0] <= r[1]]


@dataclass
class PubmedSearch:
    """One PubMed search of one stage, run into one snapshot folder."""

    http: Http
    settings: Settings
    snapshot: SourceSnapshot
    term: str
    params: Mapping[str, str] = field(default_factory=dict)  # from the rendered query
    date_from: date | None = None
    date_to: date | None = None
    batch_size: int = BATCH_SIZE
    progress: Progress | None = None
    strict: bool = False  # PubMed's messages about the query are an error
    warnings: list[str] = field(default_factory=list)
    reported_count: int | None = None
    pmids: list[str] = field(default_factory=list)  # the ids listed, in order, distinct
    missing: list[str] = field(default_factory=list)  # listed, never fetched
    missing_reasons: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)  # merged PMID -> the PMID it became
    messages: list[tuple[str, str]] = field(default_factory=list)  # PubMed's, about the query
    translation: str = ""  # the query as PubMed ran it
    problems: list[str] = field(default_factory=list)  # faults met, recovered or not
    dropped_characters: int = 0
    requests: int = 0  # responses read (stored or reused)
    method: str = "POST"
    _bisect_budget: int = BISECT_BUDGET
    _slices_left: int | None = None

    def _say(self, message: str) -> None:
        if self.progress:
            self.progress(message)

    def _warn(self, message: str) -> None:
        self.warnings.append(message)
        self._say(f"warning: {message}")

    def _problem(self, message: str) -> None:
        self.problems.append(message)
        self._say(f"pubmed: {message}")

    def _ask(
        self, path: str, params: Mapping[str, str], read: Reader[T], *, attempt: str
    ) -> Fetched[T]:
        """One E-utilities request, by POST (NCBI's advice for long id lists and queries), or by
        GET from the first time a server answers POST with 405."""
        try:
            fetched = self.snapshot.fetch(
                self.http, self.method, path, params, check=check_eutils, read=read, attempt=attempt
            )
        except SourceError as exc:
            if exc.status != 405 or self.method == "GET":
                raise
            self._problem("the server does not accept POST (405); asking by GET")
            self.method = "GET"
            fetched = self.snapshot.fetch(
                self.http, self.method, path, params, check=check_eutils, read=read, attempt=attempt
            )
        self.requests += 1
        return fetched

    # --- listing -------------------------------------------------------------------------
    def _esearch(
        self, part: Slice, *, retstart: int = 0, retmax: int = ESEARCH_CAP, attempt: str = ""
    ) -> EsearchAnswer:
        term = self.term
        if part.uid is not None:
            term = f"({self.term}) AND {part.uid[0]}:{part.uid[1]}[uid]"
        params = {"db": "pubmed", "term": term, "retmax": str(retmax), "retstart": str(retstart)}
        params.update({k: v for k, v in self.params.items() if k not in ("mindate", "maxdate")})
        if part.lo is not None and part.hi is not None:
            params.update(mindate=_fmt(part.lo), maxdate=_fmt(part.hi))
            params.setdefault("datetype", "pdat")
        params.update(common_params(self.settings))
        fetched = self._ask(
            "esearch.fcgi", params, lambda page: read_esearch(page.body), attempt=attempt
        )
        answer = fetched.value
        if part == self._top and not self.translation:
            self.translation = answer.translation
        self._note_messages(answer.messages)
        return answer

    def _note_messages(self, messages: tuple[tuple[str, str], ...]) -> None:
        for kind, text in messages:
            if (kind, text) in self.messages:
                continue
            self.messages.append((kind, text))
            meaning = MESSAGE_MEANING.get(kind, "PubMed's message about the query")
            self._say(f"pubmed says {kind}: {text} ({meaning})")
            if self.strict:
                raise SourceError(
                    f"PubMed did not run the query as written: {kind}: {text} ({meaning})",
                    where=f"{self.snapshot.stage}/pubmed",
                    hint="fix the query in strategy.toml (`rea query lint`), or search without "
                    "--strict to keep PubMed's messages as warnings",
                )

    @property
    def _top(self) -> Slice:
        lo, hi = self._range()
        return Slice(lo, hi)

    def _range(self) -> tuple[date | None, date | None]:
        lo = self.date_from
        hi = self.date_to
        if "mindate" in self.params:
            lo = _parse_date(self.params["mindate"], end=False)
        if "maxdate" in self.params:
            hi = _parse_date(self.params["maxdate"], end=True)
        return lo, hi

    def _list(self, part: Slice, attempt: str) -> Listing:
        first = self._esearch(part, attempt=attempt)
        if first.count > ESEARCH_CAP:
            if self._slices_left is None:  # the first over the cap plans the budget of slices
                self._slices_left = SLICE_BUDGET + 10 * math.ceil(first.count / ESEARCH_CAP)
            parts = self._split(part, first)
            if parts is not None and len(parts) > self._slices_left:
                self._problem(
                    "the counts keep every slice over the cap (the slices do not shrink); "
                    "listing stops here"
                )
                parts = None
            if parts is not None:
                self._slices_left -= len(parts)
            if parts is None:
                self._problem(
                    f"{first.count} records in {part.label()} cannot be cut further; only "
                    f"{len(set(first.ids))} could be listed"
                )
                return Listing(first.count, dict.fromkeys(first.ids), False)
            self._say(
                f"pubmed: {first.count} hits in {part.label()}, listing them in {len(parts)} slices"
            )
            ids: dict[str, None] = {}
            consistent = True
            for sub in parts:
                listed = self._list(sub, attempt)
                ids.update(listed.ids)
                consistent = consistent and listed.consistent
            return Listing(first.count, ids, consistent)
        ids = dict.fromkeys(first.ids)
        position = first.ret_start + len(first.ids)
        while len(ids) < first.count and position < min(first.count, ESEARCH_CAP):
            more = self._esearch(part, retstart=position, attempt=attempt)
            if not more.ids:
                break
            before = len(ids)
            ids.update(dict.fromkeys(more.ids))
            position += len(more.ids)
            if len(ids) == before:
                break
        consistent = len(ids) == first.count
        if not consistent:
            self._problem(
                f"esearch reported {first.count} records in {part.label()} but listed "
                f"{len(ids)} distinct PMIDs"
            )
        return Listing(first.count, ids, consistent)

    def _split(self, part: Slice, answer: EsearchAnswer) -> list[Slice] | None:
        """Slices of ``part`` planned from the count of the call that listed it."""
        pieces = max(2, math.ceil(answer.count * 1.25 / ESEARCH_CAP))
        if part.uid is None:
            lo = part.lo or EARLIEST
            hi = part.hi or date.today() + timedelta(days=366)
            if lo < hi:
                return [Slice(a, b) for a, b in _partition_days(lo, hi, pieces)]
            low, high = 0, UID_MAX
        else:
            low, high = part.uid
            if low >= high:
                return None
        sample = [int(i) for i in answer.ids]
        ranges = _partition_uids(low, high, sample, pieces)
        if len(ranges) < 2:
            return None
        return [Slice(part.lo, part.hi, r) for r in ranges]

    def search_ids(self) -> list[str]:
        """The PMIDs of the search, listed until the distinct ids match the count reported."""
        top = self._top
        union: dict[str, None] = {}
        for round_ in range(1, LIST_ROUNDS + 1):
            attempt = "" if round_ == 1 else f"list{round_}"
            listing = self._list(top, attempt)
            union.update(listing.ids)
            self.reported_count = listing.count
            if round_ == 1:
                self._say(f"pubmed: esearch reports {listing.count} records")
            if listing.consistent and len(listing.ids) == listing.count:
                if listing.count == 0 and round_ < LIST_ROUNDS:
                    # no hits is asked twice: a backend that answers 0 for a moment must not
                    # pass for a search that found nothing
                    again = self._esearch(top, retmax=0, attempt=f"zero{round_}").count
                    if again:
                        self._problem(f"esearch counted 0 records, then {again}; listing again")
                        continue
                union = listing.ids
                break
            if listing.consistent:
                # every slice listed what it reported: the database changed between calls
                recount = self._esearch(top, retmax=0, attempt=f"recount{round_}").count
                if recount == len(listing.ids):
                    self.reported_count = recount
                    union = listing.ids
                    break
                self._problem(
                    f"the slices listed {len(listing.ids)} distinct PMIDs, PubMed now counts "
                    f"{recount} (the database is changing)"
                )
                self.reported_count = recount
            if round_ < LIST_ROUNDS:
                self._say("pubmed: the listing does not match the count, listing again")
        self.pmids = list(union)
        if len(self.pmids) != self.reported_count:
            self._warn(
                f"PubMed reported {self.reported_count} records but listed {len(self.pmids)} "
                f"distinct PMIDs after {LIST_ROUNDS} listings"
            )
        self.snapshot.write_extra("pmids.txt", ("\n".join(self.pmids) + "\n").encode("ascii"))
        return self.pmids

    # --- fetching ------------------------------------------------------------------------
    def _efetch(self, ids: list[str], attempt: str, run_id: str, stage: str) -> EfetchAnswer:
        params = {"db": "pubmed", "retmode": "xml", "id": ",".join(ids)}
        params.update(common_params(self.settings))

        def read(page: Page) -> EfetchAnswer:
            provenance = Provenance(
                source=SOURCE,
                stage=stage,
                run_id=run_id,
                snapshot=page.relpath,
                snapshot_sha256=page.sha256,
            )
            return read_efetch(page.body, provenance, where=page.relpath)

        fetched = self._ask("efetch.fcgi", params, read, attempt=attempt)
        if fetched.value.dropped_characters:
            self.dropped_characters += fetched.value.dropped_characters
        return fetched.value

    def _efetch_readable(
        self, ids: list[str], attempt: str, run_id: str, stage: str, *, top: bool = True
    ) -> tuple[list[Record], set[str], dict[str, str]]:
        """Records and deleted PMIDs of a batch; a batch whose answer never reads is halved
        until the unreadable PMIDs are found (returned with what PubMed said). When the first,
        the middle and the last PMID of such a batch do not read alone either, the service is at
        fault, not a record, and the error is raised (the run stays resumable)."""
        try:
            answer = self._efetch(ids, attempt, run_id, stage)
        except UnreadableAnswer as exc:
            if len(ids) == 1:
                return [], set(), {ids[0]: f"efetch never gave a readable answer: {exc.what}"}
            if self._bisect_budget <= 0:
                raise
            if top and len(ids) > 4:
                probes = [ids[0], ids[len(ids) // 2], ids[-1]]
                alone = [
                    self._efetch_readable([p], attempt, run_id, stage, top=False) for p in probes
                ]
                if all(result[2] for result in alone):
                    raise
            self._bisect_budget -= 1
            self._problem(f"a batch of {len(ids)} PMIDs never gave a readable answer, halving it")
            half = len(ids) // 2
            first = self._efetch_readable(ids[:half], attempt, run_id, stage, top=False)
            second = self._efetch_readable(ids[half:], attempt, run_id, stage, top=False)
            return first[0] + second[0], first[1] | second[1], {**first[2], **second[2]}
        return list(answer.records), set(answer.deleted), {}

    def fetch_records(self, run_id: str, stage: str) -> Iterator[Record]:
        """Records of every listed PMID, batch by batch; only records asked for are kept, each
        once. A short batch is asked again; what is still missing is asked for alone."""
        listed = set(self.pmids)
        kept: set[str] = set()
        gone: dict[str, str] = {}
        foreign: set[str] = set()
        for start in range(0, len(self.pmids), self.batch_size):
            want = [p for p in self.pmids[start : start + self.batch_size] if p not in kept]
            for round_ in range(1, REFETCH_ROUNDS + 2):
                if not want:
                    break
                attempt = "" if round_ == 1 else f"r{round_}"
                records, deleted, unreadable = self._efetch_readable(want, attempt, run_id, stage)
                asked = set(want)
                for record in records:
                    if record.pmid in asked and record.pmid not in kept:
                        kept.add(record.pmid)
                        yield record
                    elif record.pmid not in asked:
                        foreign.add(record.pmid)
                for pmid in deleted & asked:
                    gone[pmid] = "PubMed says it was deleted"
                gone.update(unreadable)
                want = [p for p in want if p not in kept and p not in gone]
                if want and round_ <= REFETCH_ROUNDS:
                    self._say(f"pubmed: {len(want)} PMIDs missing from a batch, asking again")
            self._say(f"pubmed: fetched {len(kept)}/{len(self.pmids)}")
        if foreign:
            self._problem(
                f"efetch answers held {len(foreign)} PMIDs that were not asked for; they were "
                "not stored from those answers"
            )
        still = [p for p in self.pmids if p not in kept and p not in gone]
        yield from self._probe(still, listed, kept, gone, run_id, stage)
        self.missing = [p for p in self.pmids if p not in kept and p not in self.aliases]
        self.missing_reasons = {p: gone.get(p, "efetch never returned it") for p in self.missing}
        if self.missing:
            shown = ", ".join(self.missing[:20])
            self._warn(f"efetch never returned {len(self.missing)} PMIDs: {shown}")
        if self.dropped_characters:
            self._warn(
                f"{self.dropped_characters} characters that XML forbids were dropped to read "
                "the records (the stored answers keep them)"
            )

    def _probe(
        self,
        still: list[str],
        listed: set[str],
        kept: set[str],
        gone: dict[str, str],
        run_id: str,
        stage: str,
    ) -> Iterator[Record]:
        """Ask for each still-missing PMID alone: the answer tells a merged PMID (it holds the
        record of the PMID it became) from a missing one."""
        if len(still) > PROBE_LIMIT:
            self._problem(
                f"{len(still)} PMIDs still missing; asking for the first {PROBE_LIMIT} one by one"
            )
        for pmid in still[:PROBE_LIMIT]:
            records, deleted, unreadable = self._efetch_readable([pmid], "alone", run_id, stage)
            if pmid in deleted:
                gone[pmid] = "PubMed says it was deleted"
                continue
            if unreadable:
                gone.update(unreadable)
                continue
            found = {r.pmid: r for r in records}
            if pmid in found:
                kept.add(pmid)
                yield found[pmid]
                continue
            if len(found) != 1:
                continue
            [(new, record)] = found.items()
            # asked for one PMID, answered with another: NCBI merged it into that one, if a
            # second request says the same
            again, _, _ = self._efetch_readable([pmid], "alone2", run_id, stage)
            if {r.pmid for r in again} != {new}:
                continue
            self.aliases[pmid] = new
            self._say(f"pubmed: PMID {pmid} was merged into {new}")
            if new not in kept:
                kept.add(new)
                yield record

    def outcome_extra(self) -> dict[str, object]:
        """What the manifest keeps of this search beyond the counts."""
        return {
            "pmids_file": "pmids.txt",
            "missing_pmids": self.missing,
            "aliases": self.aliases,
            "esearch_messages": [list(m) for m in self.messages],
            "query_translation": self.translation,
            "dropped_characters": self.dropped_characters,
        }
