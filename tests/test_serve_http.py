"""`rea serve` over real HTTP on loopback: access, CSRF, every route's bad input (answered
clearly, nothing changed), blinding through every route, and screening in the browser while
`rea decide` and the terminal screen work on the same store."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import requests

from rea.config import ReviewPaths
from rea.pipeline import ranking as ranking_pipeline
from rea.pipeline import screening as screening_pipeline
from rea.pipeline import serve as pipeline
from rea.screening import Phase
from rea.web.server import Server
from tests.helpers import run_cli
from tests.screening_support import run_in_pty, wait_until
from tests.serve_support import Client, client, review, served

TA, FT = Phase.TITLE_ABSTRACT, Phase.FULL_TEXT

pytestmark = pytest.mark.slow


def audit(paths: ReviewPaths) -> dict[str, int]:
    """Rows of every log a request could write to."""
    with sqlite3.connect(paths.store) as conn:
        return {
            table: int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
            for table in (
                "decisions",
                "resolutions",
                "screening_notes",
                "study_types",
                "retrieval",
                "web_tokens",
                "web_token_revocations",
            )
        }


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[ReviewPaths, Server]]:
    paths = review(tmp_path, 6)
    with served(paths) as server:
        yield paths, server


# --- access ------------------------------------------------------------------------------------


def test_only_a_hash_of_the_link_is_stored_and_a_new_link_replaces_the_old(
    site: tuple[ReviewPaths, Server],
) -> None:
    paths, server = site
    first = pipeline.invite(paths, "AH", base_url=server.url)
    token = first.url.rsplit("/", 1)[1]
    assert len(token) >= 40
    assert token.encode() not in paths.store.read_bytes()
    for wal in paths.root.glob("store.sqlite-*"):
        assert token.encode() not in wal.read_bytes()
    second = pipeline.invite(paths, "AH", base_url=server.url)
    assert second.revoked == 1
    old, new = Client(server.url), Client(server.url)
    assert old.http.get(first.url, timeout=30).status_code == 403
    new.login(second.url)
    assert new.get("/api/screen/title_abstract").status_code == 200


def test_a_forged_or_revoked_link_is_refused_at_once(site: tuple[ReviewPaths, Server]) -> None:
    paths, server = site
    ah = client(server, "AH")
    assert ah.get("/api/screen/title_abstract").status_code == 200
    forged = Client(server.url)
    forged.http.cookies.set("rea_link", "not-a-token-anyone-was-given")
    answer = forged.get("/api/screen/title_abstract")
    assert answer.status_code == 403
    assert "no valid personal link" in answer.json()["error"]
    assert forged.get("/login/forged-token").status_code == 403
    assert pipeline.revoke(paths, "AH") == 1
    before = audit(paths)
    answer = ah.post(
        "/api/screen/title_abstract/decide", json={"work_id": 1, "decision": "include"}
    )
    assert answer.status_code == 403
    assert audit(paths) == before
    page = ah.get("/decisions")
    assert page.status_code == 403
    assert "Error: this browser has no valid personal link" in page.text


def test_cookies_are_httponly_and_samesite_and_every_answer_forbids_inline_script(
    site: tuple[ReviewPaths, Server],
) -> None:
    paths, server = site
    link = pipeline.invite(paths, "AH", base_url=server.url).url
    answer = requests.get(link, allow_redirects=False, timeout=30)
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    ah = client(server, "AH")
    for path in ("/screen/title_abstract", "/api/screen/title_abstract", "/decisions", "/nowhere"):
        csp = ah.get(path).headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "default-src 'none'" in csp


def test_every_state_change_needs_the_csrf_token_and_the_same_origin(
    site: tuple[ReviewPaths, Server],
) -> None:
    paths, server = site
    ah = client(server, "AH")
    js = client(server, "JS")
    before = audit(paths)
    attempts: list[requests.Response] = [
        ah.post("/api/screen/title_abstract/decide", json={"work_id": 1, "decision": "include"},
                csrf=False),
        ah.http.post(f"{server.url}/api/screen/title_abstract/decide",
                     json={"work_id": 1, "decision": "include"},
                     headers={"X-CSRF-Token": "0" * 64}, timeout=30),
        ah.http.post(f"{server.url}/api/screen/title_abstract/decide",
                     json={"work_id": 1, "decision": "include"},
                     headers={"X-CSRF-Token": ah.csrf, "Origin": "http://evil.example"},
                     timeout=30),
        ah.post("/decisions/title_abstract/1", data={"decision": "include"}, csrf=False),
        # another reviewer's token is not this reviewer's
        ah.http.post(f"{server.url}/api/screen/title_abstract/undo", json={},
                     headers={"X-CSRF-Token": js.csrf}, timeout=30),
        js.post("/conflicts/title_abstract/1", data={"decision": "include"}, csrf=False),
        ah.post("/logout", data={}, csrf=False),
    ]  # fmt: skip
    for answer in attempts:
        assert answer.status_code == 403, answer.text
        assert "CSRF" in answer.text
    assert audit(paths) == before


# --- bad input: a clear answer, nothing changed -------------------------------------------------


def test_bad_requests_get_a_clear_message_and_change_nothing(
    site: tuple[ReviewPaths, Server],
) -> None:
    paths, server = site
    ah = client(server, "AH")
    js = client(server, "JS")
    outside = paths.root.parent / "secret.pdf"
    outside.write_bytes(b"%PDF-1.4 not for the browser")
    screening_pipeline.decide(paths, 3, "include", phase=TA, reviewer="AH")
    screening_pipeline.decide(paths, 3, "include", phase=TA, reviewer="MS")
    screening_pipeline.set_retrieval(paths, 3, "retrieved", by="AH", location=str(outside))
    decide = "/api/screen/title_abstract/decide"
    cases: list[tuple[Client, str, str, Any, int, str]] = [
        (ah, "post", decide, {"work_id": 999, "decision": "include"}, 404, "no work 999"),
        (ah, "post", decide, {"work_id": "abc", "decision": "include"}, 400, "work_id must be"),
        (ah, "post", decide, {"work_id": -4, "decision": "include"}, 400, "work_id must be"),
        (ah, "post", decide, {"work_id": True, "decision": "include"}, 400, "work_id must be"),
        (ah, "post", decide, {"work_id": 1, "decision": "perhaps"}, 400, "decision must be"),
        (ah, "post", decide, {"work_id": 1, "decision": "exclude", "reason": "nonsense"},
         404, "unknown exclusion reason"),
        (ah, "post", decide, {"work_id": 1, "decision": "include", "reason": "outside-dates"},
         409, "a reason goes with exclude only"),
        (ah, "post", decide, {"work_id": 1, "decision": "include", "reason": 5}, 400,
         "reason must be text"),
        (ah, "post", decide, ["not", "an", "object"], 400, "JSON object"),
        (ah, "post", "/api/screen/full_text/decide", {"work_id": 1, "decision": "include"}, 409,
         "not in your queue at full text"),
        (ah, "post", "/api/screen/full_text/decide", {"work_id": 3, "decision": "exclude"}, 409,
         "needs a reason"),
        (ah, "post", "/api/screen/nowhere/decide", {"work_id": 1, "decision": "include"}, 404,
         "unknown phase"),
        (js, "post", decide, {"work_id": 1, "decision": "include"}, 403,
         "does not screen at title/abstract"),
        (ah, "post", "/api/screen/title_abstract/skip", {"work_id": 4}, 409,
         "not the work on your screen"),
        (ah, "post", "/api/screen/title_abstract/note", {"work_id": 1, "note": "  "}, 409,
         "the note is empty"),
        (ah, "post", "/api/screen/title_abstract/note", {"work_id": 1, "note": "x" * 5000}, 400,
         "longer than"),
        (ah, "post", "/api/study-type", {"work_id": 3, "study_type": "opinion"}, 400,
         "study_type must be"),
        (ah, "post", "/api/study-type", {"work_id": 2, "study_type": "review"}, 409,
         "not in your queue at full text"),
        (ah, "post", "/decisions/title_abstract/999", {"decision": "include"}, 404, "no work 999"),
        (ah, "post", "/decisions/full_text/1", {"decision": "include"}, 409,
         "not in your queue at full text"),
        (ah, "post", "/conflicts/title_abstract/1", {"decision": "include"}, 403,
         "not an adjudicator"),
        (js, "post", "/conflicts/title_abstract/3", {"decision": "include"}, 409,
         "has no conflict at title/abstract: its reviewers agree on include"),
        (js, "post", "/conflicts/title_abstract/1", {"decision": "include"}, 409,
         "has no screening decisions"),
        (js, "post", "/conflicts/title_abstract/999", {"decision": "include"}, 404, "no work 999"),
        (js, "post", "/conflicts/title_abstract/1", {"decision": "maybe"}, 400, "decision must"),
        (ah, "get", "/conflicts/title_abstract", None, 403, "not an adjudicator"),
        (ah, "get", "/fulltext/1", None, 409, "not in your queue at full text"),
        (ah, "get", "/fulltext/3", None, 404, "not a file inside the review folder"),
        (ah, "get", "/fulltext/999", None, 404, "no work 999"),
        (ah, "get", "/decisions?phase=nowhere", None, 404, "unknown phase"),
        (ah, "get", "/decisions?decision=perhaps", None, 409, "unknown decision"),
        (ah, "get", "/screen/nowhere", None, 404, "unknown phase"),
        (js, "get", "/screen/title_abstract", None, 403, "does not screen at title/abstract"),
        (ah, "get", "/api/screen/nowhere", None, 404, "unknown phase"),
        (js, "get", "/api/screen/full_text", None, 403, "does not screen at full text"),
        (ah, "post", "/api/screen/full_text/undo", {}, 409, "nothing to undo"),
        (ah, "get", "/login/made-up-token", None, 403, "this link is not valid"),
        (ah, "post", "/logout", {"csrf": "0" * 64}, 403, "no valid CSRF token"),
    ]  # fmt: skip
    # every route that takes input is among the cases (the others: home, progress, static …)
    routes = server.app.url_map.bind("127.0.0.1")
    covered = {routes.match(path.split("?")[0], method.upper())[0] for _, method, path, *_ in cases}
    takes_input = {r.endpoint for r in server.app.url_map.iter_rules() if r.arguments}
    takes_input |= {r.endpoint for r in server.app.url_map.iter_rules() if "POST" in r.methods}
    takes_input |= {"decisions"}  # its query string
    assert takes_input - {"static"} <= covered
    ah.get("/api/screen/title_abstract?fresh=1")  # work 1 on AH's screen
    before = audit(paths)
    for who, method, path, body, status, message in cases:
        if method == "get":
            answer = who.get(path)
        elif path.startswith("/api/"):
            answer = who.post(path, json=body)
        else:
            answer = who.post(path, data=body)
        assert answer.status_code == status, (path, body, answer.text[-500:])
        text = answer.json()["error"] if path.startswith("/api/") else answer.text
        assert message in text.replace("&#39;", "'"), (path, body, text[-500:])
        assert audit(paths) == before, (path, body)
    assert b"not for the browser" not in ah.get("/fulltext/3").content


def test_a_stored_full_text_inside_the_review_folder_opens_for_its_reviewers(
    site: tuple[ReviewPaths, Server],
) -> None:
    paths, server = site
    (paths.root / "pdfs").mkdir()
    (paths.root / "pdfs" / "w3.pdf").write_bytes(b"%PDF-1.4 the full text of work 3")
    for who in ("AH", "MS"):
        screening_pipeline.decide(paths, 3, "include", phase=TA, reviewer=who)
    screening_pipeline.set_retrieval(paths, 3, "retrieved", by="AH", location="pdfs/w3.pdf")
    ah = client(server, "AH")
    page = ah.get("/api/screen/full_text?fresh=1").json()
    assert page["work"]["work_id"] == 3
    assert page["full_text"] == {
        "state": "retrieved",
        "location": "pdfs/w3.pdf",
        "link": "/fulltext/3",
        "study_type": "",
    }
    pdf = ah.get("/fulltext/3")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-1.4 the full text")
    assert pdf.headers["Content-Type"] == "application/pdf"


# --- blinding ----------------------------------------------------------------------------------

# One or more sample requests for every route of the application (endpoint name → requests);
# a test below fails when a route is added without samples here. Requests run in order, GETs
# again after the POSTs. W is the work that MS has decided and AH has not.
W = 2
SAMPLES: dict[str, list[tuple[str, str, Any]]] = {
    "home": [("get", "/", None)],
    "signed_out": [("get", "/signed-out", None)],
    "static": [("get", "/static/rea.js", None), ("get", "/static/rea.css", None)],
    "screen": [("get", "/screen/title_abstract", None), ("get", "/screen/full_text", None)],
    "api_current": [
        ("get", "/api/screen/title_abstract?fresh=1", None),
        ("get", "/api/screen/title_abstract", None),
        ("get", "/api/screen/full_text", None),
    ],
    "decisions": [
        ("get", "/decisions", None),
        ("get", f"/decisions?q={W}", None),
        ("get", "/decisions?q=Study", None),
        ("get", "/decisions?decision=exclude", None),
        ("get", "/decisions?reason=commissioning-only", None),
    ],
    "progress": [("get", "/progress", None)],
    "conflicts": [
        ("get", "/conflicts/title_abstract", None),
        ("get", "/conflicts/full_text", None),
    ],
    "fulltext": [("get", f"/fulltext/{W}", None), ("get", "/fulltext/1", None)],
    "api_decide": [
        ("post", "/api/screen/title_abstract/decide", {"work_id": 3, "decision": "include"}),
        ("post", "/api/screen/title_abstract/decide", {"work_id": 5, "decision": "maybe"}),
    ],
    "api_skip": [("post", "/api/screen/title_abstract/skip", {"work_id": W})],
    "api_note": [("post", "/api/screen/title_abstract/note", {"work_id": 4, "note": "seen"})],
    "api_undo": [("post", "/api/screen/title_abstract/undo", {})],
    "api_study_type": [("post", "/api/study-type", {"work_id": W, "study_type": "review"})],
    "change_decision": [
        ("post", "/decisions/title_abstract/1", {"decision": "maybe", "note": "on reflection"})
    ],
    "resolve": [("post", "/conflicts/title_abstract/1", {"decision": "exclude"})],
    "login": [("get", "/login/forged", None)],
    "logout": [("post", "/logout", {})],
}
GET_AGAIN = [s for name, ss in SAMPLES.items() for s in ss if s[0] == "get" and name != "login"]

NOISE = [
    (re.compile(r"[0-9a-f]{64}"), "<token>"),
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00"), "<time>"),
    (re.compile(r"127\.0\.0\.1:\d+"), "<host>"),
]


def seen(answer: requests.Response) -> str:
    text = f"{answer.status_code} {answer.headers.get('Location', '')}\n{answer.text}"
    for pattern, replacement in NOISE:
        text = pattern.sub(replacement, text)
    return text


def world(root: Path, ms_decides: str, blind: bool = True) -> ReviewPaths:
    """A review where AH and MS disagree on work 1 (a conflict), both include work 6, and MS
    alone has decided work W (``ms_decides``: include, or exclude with a reason and a note)."""
    paths = review(root, 6)
    if not blind:
        toml = paths.screening.read_text(encoding="utf-8")
        paths.screening.write_text(toml.replace("blind = true", "blind = false"), "utf-8")
    decide = screening_pipeline.decide
    decide(paths, 1, "include", phase=TA, reviewer="AH", note="AH likes it")
    decide(paths, 1, "exclude", phase=TA, reviewer="MS", reason="commissioning-only")
    for who in ("AH", "MS"):
        decide(paths, 6, "include", phase=TA, reviewer=who)
    if ms_decides == "include":
        decide(paths, W, "include", phase=TA, reviewer="MS", note="MS-thinks-yes")
    else:
        decide(paths, W, "exclude", phase=TA, reviewer="MS", reason="not-gp-collaboration",
               note="MS-thinks-no")  # fmt: skip
    with sqlite3.connect(paths.store) as conn:
        conn.execute(
            "INSERT INTO screening_notes (work_id, phase, reviewer, note, written_at)"
            " VALUES (?, 'title_abstract', 'MS', ?, '2026-01-01T00:00:00+00:00')",
            (W, f"MS-screening-note-{ms_decides}"),
        )
    return paths


def conversation(c: Client) -> list[str]:
    """Every sample request in order, as the reviewer sees the answers."""
    out = []
    order = [s for name, ss in SAMPLES.items() if name != "logout" for s in ss]
    for method, path, body in [*order, *GET_AGAIN, *SAMPLES["logout"]]:
        if method == "get":
            answer = c.get(path)
        elif path.startswith("/api/"):
            answer = c.post(path, json=body)
        else:
            answer = c.post(path, data=body)
        out.append(f"{method.upper()} {path} {body}\n{seen(answer)}")
    return out


def differences(tmp_path: Path, reviewer: str, blind: bool = True) -> list[str]:
    """The answers that differ for ``reviewer`` between a world where MS included W and one
    where MS excluded it."""
    with ExitStack() as stack:
        servers = [
            stack.enter_context(served(world(tmp_path / name, name, blind)))
            for name in ("include", "exclude")
        ]
        talks = [conversation(client(s, reviewer)) for s in servers]
    return [a for a, b in zip(*talks, strict=True) if a != b]


def test_the_blinding_samples_cover_every_route(site: tuple[ReviewPaths, Server]) -> None:
    _, server = site
    endpoints = {rule.endpoint for rule in server.app.url_map.iter_rules()}
    assert endpoints == set(SAMPLES)


@pytest.mark.parametrize("reviewer", ["AH", "JS"])
def test_no_route_shows_a_reviewer_another_reviewers_unreconciled_decision(
    tmp_path: Path, reviewer: str
) -> None:
    assert differences(tmp_path, reviewer) == []


def test_the_blinding_check_sees_a_decision_when_the_review_is_not_blind(tmp_path: Path) -> None:
    found = differences(tmp_path, "AH", blind=False)
    assert found, "with blind = false the screen shows the other reviewer's decision"
    assert any("MS: include" in d for d in found)


def test_the_adjudicator_sees_both_decisions_once_they_conflict(
    site: tuple[ReviewPaths, Server],
) -> None:
    paths, server = site
    screening_pipeline.decide(paths, 1, "include", phase=TA, reviewer="AH", note="AH-note")
    screening_pipeline.decide(paths, 1, "exclude", phase=TA, reviewer="MS",
                              reason="commissioning-only", note="MS-note")  # fmt: skip
    js = client(server, "JS")
    page = js.get("/conflicts/title_abstract").text
    for text in ("AH: include", "AH-note", "MS: exclude", "commissioning-only", "MS-note"):
        assert text in page
    answer = js.post("/conflicts/title_abstract/1", data={"decision": "include", "note": "ok"})
    assert answer.status_code == 303
    assert "No open conflicts" in js.get("/conflicts/title_abstract").text
    found = screening_pipeline.list_conflicts(paths, TA)
    assert found == []


# --- my decisions ------------------------------------------------------------------------------


def test_a_reviewer_lists_searches_and_changes_any_of_their_decisions(
    site: tuple[ReviewPaths, Server],
) -> None:
    paths, server = site
    ah = client(server, "AH")
    for work, decision in ((1, "include"), (2, "exclude"), (3, "maybe"), (4, "include")):
        ah.post("/api/screen/title_abstract/decide", json={"work_id": work, "decision": decision})
    screening_pipeline.decide(paths, 5, "exclude", phase=TA, reviewer="MS")
    page = ah.get("/decisions").text
    assert "4 decisions" in page
    assert "Study 00005" not in page  # MS's decision is not AH's
    assert "1 decision" in ah.get("/decisions?decision=exclude").text
    only = ah.get("/decisions?q=Study 00003").text
    assert "1 decision" in only and "Study 00003" in only
    answer = ah.post(
        "/decisions/title_abstract/2",
        data={"decision": "include", "note": "re-read", "back": "/decisions?decision=exclude"},
    )
    assert answer.status_code == 303
    assert answer.headers["Location"].startswith("/decisions?decision=exclude&done=")
    with sqlite3.connect(paths.store) as conn:
        rows = conn.execute(
            "SELECT decision, note, via FROM decisions WHERE reviewer = 'AH' AND work_id = 2"
            " ORDER BY decision_id"
        ).fetchall()
    assert rows == [("exclude", "", "web"), ("include", "re-read", "web")]
    assert "0 decisions" in ah.get("/decisions?decision=exclude").text


# --- the terminal and rea decide at the same time ----------------------------------------------


def decisions_of(paths: ReviewPaths, reviewer: str) -> list[tuple[int, str]]:
    with sqlite3.connect(paths.store) as conn:
        rows = conn.execute(
            "SELECT work_id, decision FROM decisions WHERE reviewer = ? ORDER BY decision_id",
            (reviewer,),
        ).fetchall()
    return [(int(w), str(d)) for w, d in rows]


def test_browser_terminal_and_rea_decide_work_on_one_store_at_once(tmp_path: Path) -> None:
    paths = review(tmp_path, 8)
    with served(paths) as server:
        ah = client(server, "AH")
        first = ah.get("/api/screen/title_abstract?fresh=1").json()
        assert first["work"]["work_id"] == 1
        term = run_in_pty(
            ["screen", "--review", str(paths.root), "--phase", "title_abstract",
             "--reviewer", "MS"],
            cwd=tmp_path,
        )  # fmt: skip
        try:
            term.expect("Study 00001 of")
            # AH decides work 2 on the command line while work 1 is on AH's browser screen
            done = run_cli(["decide", "2", "exclude", "--phase", "title_abstract", "--reviewer",
                            "AH", "--review", str(paths.root)], cwd=tmp_path)  # fmt: skip
            assert done.returncode == 0, done.stderr
            on_screen = first["work"]["work_id"]
            for n in range(1, 5):
                term.send("i")  # MS includes works 1..4 in the terminal meanwhile
                answer = ah.post(
                    "/api/screen/title_abstract/decide",
                    json={"work_id": on_screen, "decision": "include"},
                )
                on_screen = answer.json()["work"]["work_id"]
                if n == 1:
                    assert on_screen == 3  # work 2 was decided meanwhile, on the command line
            wait_until(lambda: len(decisions_of(paths, "MS")) == 4)
            term.send("q")
            assert term.wait() == 0
        finally:
            term.close()
    with sqlite3.connect(paths.store) as conn:
        rows = conn.execute(
            "SELECT reviewer, work_id, decision, via FROM decisions ORDER BY reviewer, work_id"
        ).fetchall()
    ah_rows = [r for r in rows if r[0] == "AH"]
    ms_rows = [r for r in rows if r[0] == "MS"]
    assert ah_rows == [("AH", 1, "include", "web"), ("AH", 2, "exclude", "cli"),
                       ("AH", 3, "include", "web"), ("AH", 4, "include", "web"),
                       ("AH", 5, "include", "web")]  # fmt: skip
    assert ms_rows == [("MS", w, "include", "screen") for w in (1, 2, 3, 4)]


# --- progress and the review's queue order ------------------------------------------------------


def test_progress_shows_counts_agreement_stopping_and_a_recall_curve(
    site: tuple[ReviewPaths, Server],
) -> None:
    paths, server = site
    for work, ah, ms in (
        (1, "include", "include"),
        (2, "exclude", "exclude"),
        (3, "exclude", "include"),
    ):
        screening_pipeline.decide(paths, work, ah, phase=TA, reviewer="AH")
        screening_pipeline.decide(paths, work, ms, phase=TA, reviewer="MS")
    screening_pipeline.decide(paths, 4, "maybe", phase=TA, reviewer="AH")
    page = client(server, "AH").get("/progress").text
    assert "6 works · included 1 · excluded 1 · pending 3 · conflicts 1" in page
    # AH's own split, and MS's counts without their decisions
    assert "<td>AH</td><td>6</td><td>4</td><td>2</td>\n      <td>1</td><td>2</td><td>1</td>" in page
    assert "<td>MS</td><td>6</td><td>3</td><td>3</td>\n      <td>·</td><td>·</td><td>·</td>" in page
    assert "kappa AH–MS: 0.40 (agreement 67% on 3 works both decided)" in page
    assert "Stopping: about" in page
    assert re.search(r"<li>statistical: (CONTINUE|TOO EARLY) \(", page)
    assert "stopped by" not in page
    points = re.search(r'<polyline class="curve" points="([^"]+)"', page)
    assert points is not None
    # works 1 (included), 2 (excluded), 3 (conflict: AH's own exclude), 4 (AH's own maybe)
    assert len(points.group(1).split()) == 5 + 1  # the start, four works, the last again
    assert "works screened (4)" in page
    ranking_pipeline.record_stop(paths, phase=TA, by="JS", rule="judgement", note="enough")
    page = client(server, "MS").get("/progress").text
    assert "Screening of this phase was stopped by JS (judgement)" in page
    # MS's curve: works 1, 2 and 3 (MS's own include); work 4 has only AH's maybe
    assert "works screened (3)" in page


def test_the_browser_queue_follows_the_reviews_ranking_order(tmp_path: Path) -> None:
    paths = review(tmp_path, 30)
    toml = paths.screening.read_text(encoding="utf-8")
    paths.screening.write_text(toml + '\n[ranking]\norder = "random"\n', encoding="utf-8")
    with served(paths) as server:
        ah = client(server, "AH")
        shown = ah.get("/api/screen/title_abstract?fresh=1").json()["work"]["work_id"]
        for _ in range(5):
            answer = ah.post(
                "/api/screen/title_abstract/decide", json={"work_id": shown, "decision": "exclude"}
            )
            shown = answer.json()["work"]["work_id"]
    with sqlite3.connect(paths.store) as conn:
        rows = conn.execute("SELECT work_id, queue_order, via FROM decisions").fetchall()
    assert {(order, via) for _, order, via in rows} == {("random", "web")}
    assert [w for w, _, _ in rows] != sorted(w for w, _, _ in rows)  # not in id order


def test_a_change_that_takes_a_work_out_of_full_text_is_refused_unless_asked_to_withdraw(
    site: tuple[ReviewPaths, Server],
) -> None:
    paths, server = site
    for who in ("AH", "MS"):
        screening_pipeline.decide(paths, 1, "include", phase=TA, reviewer=who)
    screening_pipeline.decide(paths, 1, "exclude", phase=FT, reviewer="MS",
                              reason="no-full-text", note="MS-at-full-text")  # fmt: skip
    ah = client(server, "AH")
    before = audit(paths)
    refused = ah.post("/decisions/title_abstract/1", data={"decision": "exclude"})
    assert refused.status_code == 409
    assert "would take work 1 out of full text, where it already has decisions" in refused.text
    for secret in ("MS", "no-full-text", "MS-at-full-text"):  # blind: not whose, nor which
        assert secret not in refused.text.split("</header>")[1]
    assert audit(paths) == before
    # the same through the screen's undo: a question first, nothing undone
    ah.get("/api/screen/title_abstract?fresh=1")
    asked = ah.post("/api/screen/title_abstract/undo", json={}).json()
    assert asked["question"]["kind"] == "earlier" and asked["question"]["work_id"] == 1
    asked = ah.post(
        "/api/screen/title_abstract/undo", json={"work_id": 1, "confirmed": True}
    ).json()
    assert asked["question"]["kind"] == "later"
    assert "MS" not in asked["question"]["text"] and "no-full-text" not in asked["question"]["text"]
    assert audit(paths) == before
    done = ah.post(
        "/decisions/title_abstract/1", data={"decision": "exclude", "withdraw_later": "1"}
    )
    assert done.status_code == 303
    with sqlite3.connect(paths.store) as conn:
        rows = conn.execute(
            "SELECT reviewer, phase, decision, via FROM decisions WHERE decision_id > ?"
            " ORDER BY decision_id",
            (before["decisions"],),
        ).fetchall()
    assert rows == [
        ("AH", "title_abstract", "exclude", "web"),
        ("MS", "full_text", "undo", "cascade"),
    ]


def test_undo_asks_before_withdrawing_a_decision_from_an_earlier_session(
    site: tuple[ReviewPaths, Server],
) -> None:
    paths, server = site
    screening_pipeline.decide(paths, 2, "exclude", phase=TA, reviewer="AH")
    ah = client(server, "AH")
    assert ah.get("/api/screen/title_abstract?fresh=1").json()["work"]["work_id"] == 1
    before = audit(paths)
    asked = ah.post("/api/screen/title_abstract/undo", json={}).json()
    assert asked["question"] == {
        "kind": "earlier",
        "work_id": 2,
        "text": "Undo your decision from an earlier session? Work 2: Study 00002 of general "
        "practice federations in England (your decision: exclude)",
    }
    assert audit(paths) == before
    moved = ah.post("/api/screen/title_abstract/undo", json={"work_id": 5, "confirmed": True})
    assert moved.status_code == 409 and "your last decision is now on work 2" in moved.text
    done = ah.post("/api/screen/title_abstract/undo", json={"work_id": 2, "confirmed": True})
    assert done.json()["question"] is None and done.json()["work"]["work_id"] == 2
    # a decision made in this session is undone at once
    ah.post("/api/screen/title_abstract/decide", json={"work_id": 2, "decision": "include"})
    again = ah.post("/api/screen/title_abstract/undo", json={}).json()
    assert again["question"] is None and again["work"]["work_id"] == 2
