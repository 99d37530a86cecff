"""`rea serve` in a real browser (Debian's chromium, headless, driven by Playwright): two
reviewers screening at once by keyboard, the adjudicator resolving their conflict, PRISMA
counting it; a record holding script shown as text; a revoked link refused.

Without chromium these tests skip locally, and fail when ``CI=true``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rea.config import ReviewPaths
from rea.pipeline import prisma as prisma_pipeline
from rea.pipeline import screening as screening_pipeline
from rea.pipeline import serve as pipeline
from rea.records import AbstractSection, Author, Provenance, Record
from rea.screening import Phase, assigned_reviewers
from rea.store import open_store
from rea.store.records import add_records
from rea.store.works import create_work, link_record
from rea.web.server import Server
from tests.browser_support import FLAGS, chromium
from tests.screening_support import SCREENING_TOML, review_folder
from tests.serve_support import review, served

pytestmark = pytest.mark.slow

EVIL_TITLE = "<img src=x onerror=\"document.body.setAttribute('data-pwned','1')\"> Federations"
EVIL_ABSTRACT = "<script>document.body.setAttribute('data-pwned','2')</script> general practice"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless chromium for the module's tests (each test opens its own contexts)."""
    executable = chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(
            executable_path=executable, headless=True, args=[f for f in FLAGS if f != "--headless"]
        )
        yield launched
        launched.close()


def open_link(browser: Any, server: Server, reviewer: str) -> Any:
    """A fresh browser context (its own cookies) that has opened the reviewer's link."""
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.errors = errors
    page.goto(pipeline.invite(server.review.paths, reviewer, base_url=server.url).url)
    return page


def wait_for_work(page: Any, work_id: int | str) -> None:
    page.wait_for_selector(f'#screen[data-work="{work_id}"]:not([data-busy="1"])')


def test_two_reviewers_screen_at_once_and_the_adjudicator_resolves(
    browser: Any, tmp_path: Path
) -> None:
    paths = review(tmp_path, 4)
    with served(paths) as server:
        ah = open_link(browser, server, "AH")
        ms = open_link(browser, server, "MS")
        for page in (ah, ms):
            assert page.url.endswith("/screen/title_abstract")
            wait_for_work(page, 1)
            assert page.locator("#work-title mark.term").count() >= 1  # search terms marked
        ah.keyboard.press("?")
        assert "Eligibility criteria" in ah.inner_text("#help")
        assert "Collaboration between general practices" in ah.inner_text("#help")
        ah.keyboard.press("x")  # any key goes back
        assert ah.locator("#help").is_hidden()
        # both at once: each key pressed in one browser, then in the other
        ah.keyboard.press("i")
        ms.keyboard.press("e")
        ms.keyboard.press("1")  # not-gp-collaboration
        wait_for_work(ah, 2)
        wait_for_work(ms, 2)
        ah.keyboard.press("e")
        ms.keyboard.press("e")
        ah.keyboard.press("2")
        ms.keyboard.press("2")
        wait_for_work(ah, 3)
        wait_for_work(ms, 3)
        ah.keyboard.press("u")  # AH takes back the exclusion of work 2 …
        wait_for_work(ah, 2)
        ah.keyboard.press("n")
        ah.keyboard.type("commissioning only, as MS would say")
        ah.keyboard.press("Enter")
        ah.wait_for_selector("#work-notes li")
        assert "Your note: commissioning only" in ah.inner_text("#work-notes")
        ah.keyboard.press("e")  # … and makes it again
        ah.keyboard.press("2")
        wait_for_work(ah, 3)
        ah.keyboard.press("s")  # skip work 3: it comes back after work 4
        wait_for_work(ah, 4)
        ah.keyboard.press("m")
        ms.keyboard.press("i")
        wait_for_work(ah, 3)
        wait_for_work(ms, 4)
        ah.keyboard.press("i")
        ms.keyboard.press("i")
        for page in (ah, ms):
            page.wait_for_selector("#queue-done:not([hidden])")
            assert "4 of 4" in page.inner_text("#progress-text")
            assert page.errors == []

        js = open_link(browser, server, "JS")
        assert js.url.endswith("/conflicts/title_abstract")
        assert js.locator("article.conflict").count() == 1
        conflict = js.inner_text("article.conflict")
        assert "AH: include" in conflict and "MS: exclude" in conflict
        assert "not-gp-collaboration" in conflict
        js.keyboard.press("i")  # resolve with one key
        js.wait_for_selector("#no-conflicts")
        assert "included at title/abstract by JS" in js.inner_text("#done")

        # full text: the three works included at title/abstract, read by both
        for page in (ah, ms):
            page.goto(f"{server.url}/screen/full_text")
            wait_for_work(page, 1)
            assert "not yet sought" in page.inner_text("#work-fulltext")
            page.keyboard.press("i")
            page.wait_for_selector("#type-menu:not([hidden])")
            page.keyboard.press("p")  # primary study
            wait_for_work(page, 3)
            page.keyboard.press("e")
            page.keyboard.press("Enter")  # a reason is required here: refused
            page.wait_for_selector("#message.error")
            page.keyboard.press("2")
            wait_for_work(page, 4)
            page.keyboard.press("i")
            page.wait_for_selector("#type-menu:not([hidden])")
            page.keyboard.press("Enter")  # study type left for later
            page.wait_for_selector("#queue-done:not([hidden])")
            assert page.errors == []

        mine = ah.goto(f"{server.url}/decisions")
        assert mine is not None and mine.status == 200
        assert "7 decisions" in ah.inner_text("#count")

    flow = prisma_pipeline.prisma_counts(paths).total
    assert flow.records_screened == 4
    assert flow.records_excluded == 1  # work 2, excluded by both
    assert flow.reports_sought == 3  # works 1 (resolved), 3 and 4
    assert flow.reports_assessed == 3
    assert flow.reports_excluded == {"Collaboration for commissioning only": 1}
    assert flow.new_reports == 2
    with open_store(paths.store) as store:
        rows = store.conn.execute(
            "SELECT reviewer, work_id, decision, reason, via FROM decisions ORDER BY decision_id"
        ).fetchall()
    assert [tuple(r) for r in rows if r[0] == "AH"] == [
        ("AH", 1, "include", "", "web"),
        ("AH", 2, "exclude", "commissioning-only", "web"),
        ("AH", 2, "undo", "", "web"),
        ("AH", 2, "exclude", "commissioning-only", "web"),
        ("AH", 4, "maybe", "", "web"),
        ("AH", 3, "include", "", "web"),
        ("AH", 1, "include", "", "web"),
        ("AH", 3, "exclude", "commissioning-only", "web"),
        ("AH", 4, "include", "", "web"),
    ]


def evil_review(root: Path) -> ReviewPaths:
    paths = review_folder(root, "evil-rea", SCREENING_TOML.format(share=0.0, maybe="true"))
    record = Record(
        provenance=Provenance(source="pubmed", stage="2013-2018-all", run_id="run-1"),
        title=EVIL_TITLE,
        abstract=(AbstractSection(EVIL_ABSTRACT, "<b>BACKGROUND</b>"),),
        authors=(Author("<i>Smith</i>", "J"),),
        journal="<u>Journal</u>",
        year=2016,
        url="javascript:document.body.setAttribute('data-pwned','3')",
    )
    with open_store(paths.store) as store:
        (record_id,) = add_records(store, [record])
        with store.transaction() as conn:
            link_record(conn, record_id, create_work(conn), rule="first")
    return paths


def test_a_record_holding_html_and_script_is_shown_as_text(browser: Any, tmp_path: Path) -> None:
    paths = evil_review(tmp_path)
    with served(paths) as server:
        (screener,) = assigned_reviewers(1, Phase.TITLE_ABSTRACT, ("AH", "MS"), 0.0)
        page = open_link(browser, server, screener)
        wait_for_work(page, 1)
        assert page.inner_text("#work-title") == EVIL_TITLE
        assert EVIL_ABSTRACT in page.inner_text("#work-abstract")
        assert "<i>Smith</i>" in page.inner_text("#work-authors")
        assert page.locator("#work a[href^='javascript']").count() == 0
        assert page.get_attribute("body", "data-pwned") is None
        page.keyboard.press("i")
        page.wait_for_selector("#queue-done:not([hidden])")
        page.goto(f"{server.url}/decisions")
        assert EVIL_TITLE in page.inner_text("table.decisions")
        assert page.get_attribute("body", "data-pwned") is None
        assert page.errors == []
    screening_pipeline.screening_stats(paths)  # the store is still readable


def test_a_revoked_link_is_refused(browser: Any, tmp_path: Path) -> None:
    paths = review(tmp_path, 3)
    with served(paths) as server:
        link = pipeline.invite(paths, "AH", base_url=server.url).url
        context = browser.new_context()
        page = context.new_page()
        page.goto(link)
        wait_for_work(page, 1)
        pipeline.revoke(paths, "AH")
        page.keyboard.press("i")
        page.wait_for_selector("#message.error")
        assert "no valid personal link" in page.inner_text("#message")
        answer = page.goto(link)
        assert answer is not None and answer.status == 403
        assert "this link is not valid" in page.inner_text("#error-message")
        answer = page.goto(f"{server.url}/screen/title_abstract")
        assert answer is not None and answer.status == 403
        context.close()
    with open_store(paths.store) as store:
        n = store.conn.execute("SELECT count(*) FROM decisions").fetchone()[0]
    assert n == 0
