"""`rea citations`: forward and backward citation searching, driven through the CLI against the
replay server over real loopback HTTP (PubMed elink and efetch, OpenCitations, Crossref,
OpenAlex), with their faults."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from rea.sources import citations as sc
from rea.store import open_store
from tests.citations_support import (
    STAGE,
    cite,
    graph,
    replayed,
    seeded_review,
    write_graph,
)
from tests.helpers import invoke


def _hits(paths: Any) -> dict[str, dict[str, Any]]:
    """The review's current citation-searching records by source id, with why each was found."""
    with open_store(paths.store) as store:
        rows = store.conn.execute(
            "SELECT r.record_id, r.source_id, r.title, r.source_kind, rw.work_id,"
            " h.known FROM current_records r JOIN record_work rw USING (record_id)"
            " JOIN citation_hits h USING (record_id) WHERE r.source = 'citation_searching'"
        ).fetchall()
        links = store.conn.execute(
            "SELECT record_id, seed_work_id, direction, service FROM citation_links"
        ).fetchall()
    found = {}
    for r in rows:
        mine = [link for link in links if link["record_id"] == r["record_id"]]
        found[str(r["source_id"])] = {
            "title": r["title"],
            "kind": r["source_kind"],
            "work": r["work_id"],
            "known": bool(r["known"]),
            "services": sorted({link["service"] for link in mine}),
            "seeds": sorted({(link["seed_work_id"], link["direction"]) for link in mine}),
        }
    return found


CLEAN_KEYS = {
    "doi:10.1136/bmj.325.7373.1126",  # A, known: found by the databases too
    "doi:10.1080/17571472.2014.11493420",  # B
    "doi:10.1071/py16039",  # D, only OpenCitations lists it
    "doi:10.3399/bjgpopen17x100845",  # E cites S1
    "doi:10.1108/jica-03-2018-0023",  # F cites S1 and S2, only OpenAlex knows it
    "doi:10.1186/1471-2296-15-41",  # G, S2's reference
}


def _clean_keys(found: dict[str, Any]) -> set[str]:
    """The hits' keys, the reference-list-only hit (C) named by its title."""
    return {k if not k.startswith("ref:") else f"title:{v['title']}" for k, v in found.items()}


C_TITLE = "title:Securing the future of general practice: new models of primary care"


def test_a_round_finds_references_and_citing_works_and_tells_known_from_new(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths, ids = seeded_review(tmp_path)
    recordings = write_graph(tmp_path / "rec", graph())
    with replayed(recordings, monkeypatch) as (server, _):
        result = cite(paths, "--stage", STAGE)
    assert result.exit_code == 0, result.output
    assert server.unmatched == []
    out = result.stdout
    assert "round 1 of 2013-2018-all" in out and "complete" in out
    # per seed: references 4 (1 known) and citing works 2 for S1; 2 (1 known) and 1 for S2
    s1 = next(line for line in out.splitlines() if f"(work {ids['S1']:>4})" in line)
    assert "4/    1/    3" in s1 and "2/    0/    2" in s1
    s2 = next(line for line in out.splitlines() if f"(work {ids['S2']:>4})" in line)
    assert "2/    1/    1" in s2 and "1/    0/    1" in s2
    assert "total: references 6 (known 2, new 4); citing works 3 (known 0, new 3)" in out
    assert "7 records of citation searching: 1 already known" in out and "6 new works" in out
    # the report without identifiers cannot be chased, and it is said
    assert f"not chased by opencitations: work {ids['S3']} (neither DOI nor PMID)" in out

    found = _hits(paths)
    assert _clean_keys(found) == CLEAN_KEYS | {C_TITLE}
    assert all(h["kind"] == "other" for h in found.values())
    a = found["doi:10.1136/bmj.325.7373.1126"]
    assert a["known"] and a["work"] == ids["A"]  # a duplicate of the database's record
    assert a["services"] == ["crossref", "openalex", "opencitations", "pubmed"]
    assert a["seeds"] == [(ids["S1"], "backward"), (ids["S2"], "backward")]
    # services that disagree: each hit says which services listed it
    assert found["doi:10.1071/py16039"]["services"] == ["opencitations"]
    assert found["doi:10.1108/jica-03-2018-0023"]["services"] == ["openalex"]
    assert found["doi:10.1108/jica-03-2018-0023"]["seeds"] == [
        (ids["S1"], "forward"),
        (ids["S2"], "forward"),
    ]
    assert "found by one service only: crossref 1, openalex 1, opencitations 1" in out
    c = next(v for k, v in found.items() if k.startswith("ref:"))
    assert c["services"] == ["crossref"] and not c["known"]
    assert "1 hits are known only as a reference list prints them" in out
    # every new hit is a work of its own; the known one joined the database's work
    new = [h["work"] for h in found.values() if not h["known"]]
    assert len(set(new)) == 6 and set(ids.values()).isdisjoint(new)


def test_the_hits_carry_titles_and_abstracts_from_the_services(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths, _ = seeded_review(tmp_path)
    with replayed(write_graph(tmp_path / "rec", graph()), monkeypatch):
        assert cite(paths, "--stage", STAGE).exit_code == 0
    with open_store(paths.store) as store:
        rows = {
            r["doi"]: r
            for r in store.conn.execute(
                "SELECT doi, pmid, title, abstract_json, authors_json, year, extra_json"
                " FROM records WHERE source = 'citation_searching'"
            )
        }
    a = rows["10.1136/bmj.325.7373.1126"]  # PMID known: PubMed's record, abstract and all
    assert a["pmid"] == "31000010" and "first wave pilots" in a["title"]
    assert "contracts" in a["abstract_json"] and json.loads(a["extra_json"])["described_by"] == (
        "pubmed"
    )
    b = rows["10.1080/17571472.2014.11493420"]  # DOI only: described by OpenAlex
    assert b["title"].startswith("Mandated local health networks") and b["year"] == 2014
    assert json.loads(b["authors_json"])[0][0] == "Rudoler"
    c = rows[""]  # a reference list's entry: its own words
    assert json.loads(c["extra_json"])["citation"].startswith("Addicott R. Securing the future")


def test_a_run_is_stored_like_a_search_run_and_keeps_no_key_or_address(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths, _ = seeded_review(tmp_path)
    with replayed(write_graph(tmp_path / "rec", graph()), monkeypatch):
        monkeypatch.setenv("OPENCITATIONS_ACCESS_TOKEN", "oc-token-SECRET-456")
        result = cite(paths, "--stage", STAGE, "--json")
    assert result.exit_code == 0, result.output
    run = json.loads(result.stdout)
    folder = paths.root / run["path"]
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["state"] == "complete" and manifest["hits"] == 7
    pages = list(folder.rglob("pages/*.meta.json"))
    assert len(pages) >= 8
    newest_page = max(p.stat().st_mtime_ns for p in folder.rglob("pages/*"))
    assert (folder / "manifest.json").stat().st_mtime_ns >= newest_page  # the manifest is last
    for meta_path in pages:
        meta = json.loads(meta_path.read_text())
        body = (meta_path.parent / meta["body"]).read_bytes()
        assert hashlib.sha256(body).hexdigest() == meta["sha256"]
        for name in ("mailto", "email", "api_key"):
            assert meta["params"].get(name, "***") == "***"
    for path in paths.root.rglob("*"):
        if path.is_file() and path.suffix != ".sqlite":
            text = path.read_bytes()
            for secret in (b"SECRET", b"reviewer@example.org"):
                assert secret not in text, path
    with open_store(paths.store) as store:
        dumped = "\n".join(store.conn.iterdump())
    assert "SECRET" not in dumped and "reviewer@example.org" not in dumped


@pytest.mark.parametrize(
    ("fault", "service", "path"),
    [
        ({"kind": "http_429", "retry_after": "7"}, "openalex", "works"),
        ({"kind": "http_503"}, "opencitations", None),
        ({"kind": "http_500", "times": 2}, "crossref", "works"),
        ({"kind": "truncated"}, "crossref", "works"),
        ({"kind": "truncated"}, "pubmed", "elink.fcgi"),
        ({"kind": "html_page"}, "opencitations", None),
        ({"kind": "plain_text"}, "openalex", "works"),
        ({"kind": "empty_200"}, "pubmed", "elink.fcgi"),
        ({"kind": "short_batch"}, "pubmed", "elink.fcgi"),
        ({"kind": "short_batch"}, "crossref", "works"),
        ({"kind": "drop_connection"}, "opencitations", None),
        ({"kind": "error_body"}, "pubmed", "efetch.fcgi"),
    ],
    ids=lambda v: v["kind"] if isinstance(v, dict) else str(v),
)
def test_a_transient_fault_changes_nothing_found(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fault: dict[str, Any],
    service: str,
    path: str | None,
) -> None:
    """Invariant: whatever fault a service recovers from, the round finds exactly what a clean
    round finds, and no answer that is not data is stored."""
    paths, _ = seeded_review(tmp_path)
    recordings = write_graph(tmp_path / "rec", graph())
    with replayed(recordings, monkeypatch) as (server, waits):
        server.add_fault(**{**fault, "service": service, "path": path})
        result = cite(paths, "--stage", STAGE)
        fired = [f.fired for f in server.faults]
    assert result.exit_code == 0, result.output
    assert fired == [fault.get("times", 1)]
    assert _clean_keys(_hits(paths)) == CLEAN_KEYS | {C_TITLE}
    if fault["kind"] == "http_429":
        assert any(w >= 7 for w in waits.seconds)  # Retry-After honoured
        assert "HTTP 429" in result.stderr and "retry 1" in result.stderr
    for meta_path in (paths.root / "citations").rglob("pages/*.meta.json"):
        body = (meta_path.parent / json.loads(meta_path.read_text())["body"]).read_bytes()
        assert body.strip()[:1] in (b"{", b"[", b"<")
        assert b"replayed server error" not in body and b"<html" not in body.lower()


def _many_citing(n: int) -> dict[str, Any]:
    """The graph with ``n`` more works citing S1 (OpenAlex only)."""
    extra = {
        f"X{i}": {
            "id": f"X{i}",
            "doi": f"10.5555/x{i}",
            "title": f"A study {i} of practice networks",
            "year": 2019,
            "references": ["S1"],
            "in": ["openalex"],
        }
        for i in range(n)
    }
    return graph(**extra)


@pytest.mark.parametrize("kind", ["cursor_stuck", "cursor_repeat", "same_page", "empty_page"])
def test_paging_that_repeats_is_paged_again_until_the_count_is_reached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    monkeypatch.setattr(sc, "OPENALEX_PAGE", 3)
    paths, _ = seeded_review(tmp_path)
    recordings = write_graph(tmp_path / "rec", _many_citing(10))
    with replayed(recordings, monkeypatch) as (server, _):
        server.add_fault(kind, service="openalex", after=1)
        result = cite(paths, "--stage", STAGE, "--service", "openalex", "--direction", "forward")
    assert result.exit_code == 0, result.output
    forward = [h for h in _hits(paths).values() if h["seeds"][0][1] == "forward"]
    assert len(forward) == 12  # E, F and the ten others: all of OpenAlex's count
    assert "paging again" in result.stdout


def test_paging_that_never_completes_is_incomplete_and_not_used_until_accepted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sc, "OPENALEX_PAGE", 3)
    paths, _ = seeded_review(tmp_path)
    recordings = write_graph(tmp_path / "rec", _many_citing(10))
    with replayed(recordings, monkeypatch) as (server, _):
        server.add_fault("cursor_stuck", service="openalex", after=1, times=-1)
        result = cite(paths, "--stage", STAGE, "--service", "openalex", "--direction", "forward")
    assert result.exit_code == 3, result.output
    assert "INCOMPLETE" in result.stdout
    assert "why incomplete: openalex counted 12 works citing 2 seeds but listed 6" in result.stdout
    assert "rea citations accept" in result.stderr
    assert _hits(paths) == {}  # stored, not used
    run_id = result.stdout.split("run ")[1].split()[0]
    accepted = invoke(["citations", "accept", run_id, "--review", str(paths.root), "--note", "ok"])
    assert accepted.exit_code == 0, accepted.output
    assert "accepted: 6 missing" in accepted.stdout
    assert len(_hits(paths)) == 6
    rounds = invoke(["citations", "rounds", "--review", str(paths.root)])
    assert "accepted" in rounds.stdout


def test_services_that_give_one_work_two_pmids_are_kept_apart_and_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths, _ = seeded_review(tmp_path)
    # OpenAlex gives B the PMID that PubMed has for G: they stay two works
    data = graph(B={"pmid": "31000030", "in": ["openalex", "crossref", "opencitations"]})
    for work in data["works"]:
        if work["id"] == "G":
            work["in"] = ["pubmed", "crossref"]
    with replayed(write_graph(tmp_path / "rec", data), monkeypatch):
        result = cite(paths, "--stage", STAGE)
    assert result.exit_code == 0, result.output
    found = _hits(paths)
    assert "doi:10.1080/17571472.2014.11493420" in found and "doi:10.1186/1471-2296-15-41" in found
    assert (
        "services disagree: openalex says doi:10.1080/17571472.2014.11493420 is pmid:31000030, "
        "but another service says pmid:31000030 is doi:10.1186/1471-2296-15-41; the two are "
        "kept apart"
    ) in result.stdout


def test_a_failing_service_leaves_the_run_resumable_without_asking_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths, _ = seeded_review(tmp_path)
    recordings = write_graph(tmp_path / "rec", graph())
    with replayed(recordings, monkeypatch) as (server, _):
        server.add_fault("http_500", service="crossref", times=-1)
        failed = cite(paths, "--stage", STAGE)
        assert failed.exit_code == 1
        [error] = [line for line in failed.stderr.splitlines() if line.startswith("Error: ")]
        assert "crossref" in error and "HTTP 500" in error
        run_id = next((paths.root / "citations").iterdir()).name
        assert f"rea citations --resume {run_id}" in failed.stderr
        asked_before = [r for r in server.requests if r.service != "crossref"]
        server.clear_faults()
        resumed = cite(paths, "--resume", run_id)
        asked_after = [r for r in server.requests[len(asked_before) :] if r.service != "crossref"]
    assert resumed.exit_code == 0, resumed.output
    assert _clean_keys(_hits(paths)) == CLEAN_KEYS | {C_TITLE}
    # the pages stored before the failure were read back, not asked again
    assert {(r.service, r.path) for r in asked_after}.isdisjoint(
        {(r.service, r.path) for r in asked_before if r.service in ("pubmed", "opencitations")}
    )


def test_rounds_follow_the_includes_and_stop_when_one_adds_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rea.screening.config import load_screening_config
    from rea.screening.service import DecisionRequest, record_decision
    from rea.screening_vocab import Decision, Phase

    paths, _ = seeded_review(tmp_path)
    # G is cited by H, which round 2 finds
    data = graph(
        H={
            "id": "H",
            "doi": "10.5555/h",
            "title": "Networks of practices",
            "year": 2020,
            "references": ["G"],
        }
    )
    with replayed(write_graph(tmp_path / "rec", data), monkeypatch):
        assert cite(paths, "--stage", STAGE).exit_code == 0
        waiting = cite(paths, "--stage", STAGE)
        assert waiting.exit_code == 1
        assert "round 1 of 2013-2018-all is not settled: 6 works it found await" in waiting.stderr
        found = _hits(paths)
        config = load_screening_config(paths.screening)
        with open_store(paths.store) as store:
            for key, hit in found.items():
                if hit["known"]:
                    continue
                keep = key == "doi:10.1186/1471-2296-15-41"  # include G only
                for phase in (
                    (Phase.TITLE_ABSTRACT, Phase.FULL_TEXT) if keep else (Phase.TITLE_ABSTRACT,)
                ):
                    for reviewer in ("AH", "MS"):
                        decision = Decision.INCLUDE if keep else Decision.EXCLUDE
                        reason = "" if keep else "not-gp-collaboration"
                        request = DecisionRequest(hit["work"], phase, reviewer, decision, reason)
                        record_decision(store, config, request, via="import")
        second = cite(paths, "--stage", STAGE, "--direction", "forward")
        assert second.exit_code == 0, second.output
        assert "round 2 of 2013-2018-all" in second.stdout
        assert "1 new works" in second.stdout  # H
        h = _hits(paths)["doi:10.5555/h"]
        config = load_screening_config(paths.screening)
        with open_store(paths.store) as store:
            for reviewer in ("AH", "MS"):
                request = DecisionRequest(
                    h["work"],
                    Phase.TITLE_ABSTRACT,
                    reviewer,
                    Decision.EXCLUDE,
                    "not-gp-collaboration",
                )
                record_decision(store, config, request, via="import")
        done = cite(paths, "--stage", STAGE)
    assert done.exit_code == 0
    assert "round 2 of 2013-2018-all added no include" in done.stdout
    rounds = invoke(["citations", "rounds", "--review", str(paths.root), "--json"])
    [stage] = json.loads(rounds.stdout)
    assert [r["round"] for r in stage["rounds"]] == [1, 2]
    assert [r["included"] for r in stage["rounds"]] == [1, 0]
    assert stage["status"] == "finished: round 2 added no include"


def test_round_one_run_again_replaces_the_first_and_counts_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths, _ = seeded_review(tmp_path)
    with replayed(write_graph(tmp_path / "rec", graph()), monkeypatch):
        assert cite(paths, "--stage", STAGE).exit_code == 0
        again = cite(paths, "--stage", STAGE, "--from", "included")
    assert again.exit_code == 0, again.output
    assert "round 1 of" in again.stdout
    assert len(_hits(paths)) == 7  # the current run of round 1 only
    prisma = json.loads(invoke(["prisma", "--review", str(paths.root), "--json"]).stdout)
    assert prisma["total"]["identification"]["other_methods"] == {"citation_searching": 7}
    rounds = invoke(["citations", "rounds", "--review", str(paths.root)])
    lines = [line.strip() for line in rounds.stdout.splitlines()]
    assert sum(line.startswith("round 1 ") for line in lines) == 2
    assert "(not used)" in rounds.stdout


def test_chosen_seeds_and_bad_input_are_told_apart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths, ids = seeded_review(tmp_path)
    with replayed(write_graph(tmp_path / "rec", graph()), monkeypatch):
        chosen = cite(paths, "--stage", STAGE, "--from", str(ids["S2"]), "--direction", "backward")
        assert chosen.exit_code == 0, chosen.output
        assert _clean_keys(_hits(paths)) == {
            "doi:10.1136/bmj.325.7373.1126",
            "doi:10.1186/1471-2296-15-41",
        }
        bad = cite(paths, "--stage", STAGE, "--from", "smith2019")
        assert bad.exit_code == 1 and "--from takes 'included' or work ids" in bad.stderr
        unknown = cite(paths, "--stage", STAGE, "--from", "999")
        assert unknown.exit_code == 1 and "no work 999" in unknown.stderr
        no_stage = cite(paths, "--stage", "2020-all")
        assert no_stage.exit_code == 1 and no_stage.stderr.startswith("Error: ")
        grey = cite(paths, "--stage", STAGE, "--from", str(ids["S3"]))
        assert grey.exit_code == 1 and "has a DOI or a PMID" in grey.stderr


def test_the_report_lists_the_rounds_and_prisma_counts_their_hits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rea.pipeline.prisma import build_report

    paths, _ = seeded_review(tmp_path)
    with replayed(write_graph(tmp_path / "rec", graph()), monkeypatch):
        assert cite(paths, "--stage", STAGE).exit_code == 0
    prisma = json.loads(invoke(["prisma", "--review", str(paths.root), "--json"]).stdout)
    total = prisma["total"]
    assert total["identification"]["other_methods"] == {"citation_searching": 7}
    # six new works wait in the other-methods branch; the known one is a database work
    assert total["other_methods"]["identified_works"] == 6
    assert total["identification"]["other_method_repeats"] == 1
    html = build_report(paths, images_too=False).html.read_text(encoding="utf-8")
    section = html[html.index('<section id="citations">') :]
    section = section[: section.index("</section>")]
    assert 'data-round="1"' in section and "3 (included)" in section
    assert '<td class="n">7</td><td class="n">1</td><td class="n">6</td>' in section
    assert "6 works round 1 found await a decision" in section
