"""Helpers for the citation-searching and full-text tests: a review whose seed works are
included at full text, a scholarly graph for the replay server, and the CLI run against it."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from rea.config import ReviewPaths
from rea.records import AbstractSection, Author, Provenance, Record
from rea.sources.replay import ReplayServer
from rea.store import open_store
from rea.store.records import add_records
from tests.helpers import invoke
from tests.screening_support import SCREENING_TOML, review_folder

STAGE = "2013-2018-all"

#: Seeds: two articles with DOI and PMID, one report with neither.
SEEDS: list[dict[str, Any]] = [
    {
        "id": "S1",
        "doi": "10.3399/bjgp17x692597",
        "pmid": "31000001",
        "pmcid": "PMC7000001",
        "title": "Building managed primary care practice networks to deliver better clinical care",
        "authors": [["Pawa", "J"], ["Robson", "J"]],
        "journal": "Br J Gen Pract",
        "year": 2017,
        "abstract": "Practice networks in east London improved cardiovascular care.",
    },
    {
        "id": "S2",
        "doi": "10.1186/s12875-018-0773-y",
        "pmid": "31000002",
        "title": "Implementing new care models: learning from the Greater Nottingham vanguard",
        "authors": [["Checkland", "K"], ["Coleman", "A"]],
        "journal": "BMC Fam Pract",
        "year": 2018,
        "abstract": "A qualitative study of a multispecialty community provider vanguard.",
    },
    {
        "id": "S3",
        "title": "Primary care networks explained",
        "authors": [["The King's Fund", ""]],
        "year": 2019,
        "type": "report",
    },
]

#: The works the seeds cite or are cited by.
OTHERS: list[dict[str, Any]] = [
    {  # a reference the database searches found too (already known)
        "id": "A",
        "doi": "10.1136/bmj.325.7373.1126",
        "pmid": "31000010",
        "title": "Personal medical services: a review of the first wave pilots",
        "authors": [["Walker", "N"]],
        "journal": "BMJ",
        "year": 2002,
        "abstract": "Personal medical services pilots changed general practice contracts.",
    },
    {  # a reference with a DOI but no PMID
        "id": "B",
        "doi": "10.1080/17571472.2014.11493420",
        "title": "Mandated local health networks across the province of Ontario",
        "authors": [["Rudoler", "D"]],
        "journal": "London J Prim Care",
        "year": 2014,
    },
    {  # a report without identifiers: only Crossref's reference list has it, as text
        "id": "C",
        "title": "Securing the future of general practice: new models of primary care",
        "authors": [["Addicott", "R"]],
        "journal": "The King's Fund",
        "year": 2013,
        "type": "report",
    },
    {  # a reference only OpenCitations knows of
        "id": "D",
        "doi": "10.1071/py16039",
        "title": "When colocation is not enough: a case study of General Practitioner Super "
        "Clinics",
        "authors": [["Jackson", "C"]],
        "journal": "Aust J Prim Health",
        "year": 2016,
    },
    {  # a citing work with DOI and PMID
        "id": "E",
        "doi": "10.3399/bjgpopen17x100845",
        "pmid": "31000020",
        "pmcid": "PMC7000020",
        "title": "Steps towards more integrated care in New Zealand: a general practice "
        "perspective",
        "authors": [["Tenbensel", "T"]],
        "journal": "BJGP Open",
        "year": 2017,
        "abstract": "Integrated care initiatives in New Zealand general practice.",
    },
    {  # a citing work only OpenAlex knows
        "id": "F",
        "doi": "10.1108/jica-03-2018-0023",
        "title": "Transforming primary care: scoping review of research and practice",
        "authors": [["Fisher", "R"]],
        "journal": "J Integr Care",
        "year": 2018,
        "in": ["openalex"],
    },
    {  # a reference of S2
        "id": "G",
        "doi": "10.1186/1471-2296-15-41",
        "pmid": "31000030",
        "title": "Stories and metaphors in the sensemaking of multiple primary health care "
        "organizational identities",
        "authors": [["Swanson", "L"]],
        "journal": "BMC Fam Pract",
        "year": 2014,
    },
]


def graph(**changes: Mapping[str, Any]) -> dict[str, Any]:
    """The scholarly graph of the tests: who cites whom, as each service sees it."""
    works = {w["id"]: dict(w) for w in [*SEEDS, *OTHERS]}
    works["S1"]["references"] = ["A", "B", "C", "D"]
    works["S1"]["references_by"] = {
        "pubmed": ["A"],
        "crossref": ["A", "B", "C"],
        "openalex": ["A", "B"],
    }
    works["S2"]["references"] = ["A", "G"]
    works["E"]["references"] = ["S1"]
    works["F"]["references"] = ["S1", "S2"]
    for key, change in changes.items():
        works.setdefault(key, {"id": key}).update(change)
    return {"works": list(works.values())}


def write_graph(root: Path, data: Mapping[str, Any]) -> Path:
    folder = root / "scholarly"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "works.json").write_text(json.dumps(data, indent=1), encoding="utf-8")
    return root


def _record(work: Mapping[str, Any], source: str) -> Record:
    return Record(
        provenance=Provenance(source=source, stage=STAGE, run_id="run-1"),
        title=str(work["title"]),
        abstract=(AbstractSection(str(work["abstract"])),) if work.get("abstract") else (),
        authors=tuple(Author(f, g) for f, g in work.get("authors", [])),
        journal=str(work.get("journal", "")),
        year=int(work["year"]),
        pmid=str(work.get("pmid", "")),
        doi=str(work.get("doi", "")),
        pmcid=str(work.get("pmcid", "")),
    )


def seeded_review(
    tmp: Path, *, known: Sequence[str] = ("A",)
) -> tuple[ReviewPaths, dict[str, int]]:
    """A review whose store has the seeds (found by PubMed) and the ``known`` works (found by
    Scopus), deduplicated; the seeds included at title/abstract and full text by AH and MS.
    Returns the paths and the work id of each seed and known work."""
    from rea.pipeline.dedup import run as dedup
    from rea.screening.config import load_screening_config
    from rea.screening.service import DecisionRequest, record_decision
    from rea.screening_vocab import Decision, Phase

    paths = review_folder(tmp, "cit-rea", SCREENING_TOML.format(share=1.0, maybe="true"))
    others = {w["id"]: w for w in OTHERS}
    with open_store(paths.store) as store:
        add_records(store, [_record(w, "pubmed") for w in SEEDS])
        add_records(store, [_record(others[k], "scopus") for k in known])
    dedup(paths)
    config = load_screening_config(paths.screening)
    ids: dict[str, int] = {}
    with open_store(paths.store) as store:
        for key, title in [(w["id"], w["title"]) for w in [*SEEDS, *(others[k] for k in known)]]:
            row = store.conn.execute(
                "SELECT rw.work_id FROM records r JOIN record_work rw USING (record_id)"
                " WHERE r.title = :t",
                {"t": title},
            ).fetchone()
            ids[key] = int(row[0])
        for key in [w["id"] for w in SEEDS]:
            for phase in (Phase.TITLE_ABSTRACT, Phase.FULL_TEXT):
                for reviewer in ("AH", "MS"):
                    request = DecisionRequest(ids[key], phase, reviewer, Decision.INCLUDE)
                    record_decision(store, config, request, via="import")
        for key in known:
            for reviewer in ("AH", "MS"):
                request = DecisionRequest(
                    ids[key],
                    Phase.TITLE_ABSTRACT,
                    reviewer,
                    Decision.EXCLUDE,
                    "not-gp-collaboration",
                )
                record_decision(store, config, request, via="import")
    return paths, ids


@dataclass
class Waits:
    """The waits rea asked for instead of sleeping (so that a test does not wait)."""

    seconds: list[float]


@contextmanager
def replayed(
    recordings: Path, monkeypatch: pytest.MonkeyPatch, **options: Any
) -> Iterator[tuple[ReplayServer, Waits]]:
    """A replay server over ``recordings``, the environment pointing rea at it (with a contact
    address and an OpenAlex key), and time.sleep recording the waits instead of waiting."""
    waits = Waits([])
    with ReplayServer(recordings, **options) as server:
        for name, value in server.env().items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("REA_EMAIL", "reviewer@example.org")
        monkeypatch.setenv("OPENALEX_API_KEY", "oa-key-SECRET-123")
        monkeypatch.setenv("NCBI_EMAIL", "reviewer@example.org")
        monkeypatch.setattr("time.sleep", lambda s: waits.seconds.append(s))
        yield server, waits


def cite(paths: ReviewPaths, *args: str) -> Result:
    """``rea citations --review PATHS ARGS`` in this process."""
    return invoke(["citations", "--review", str(paths.root), *args], env=dict(os.environ))
