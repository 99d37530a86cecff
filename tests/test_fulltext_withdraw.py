"""`rea fulltext WORK withdraw`: a retrieval record left behind (a work excluded at title/abstract
after its full text was sought, or an entry on the wrong work) can always be taken back, so no
retrieval state is a dead end for PRISMA or the report."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import invoke
from tests.screening_support import make_review

TA = ["--phase", "title_abstract"]
FT = ["--phase", "full_text"]
REASON = ["--reason", "not-gp-collaboration"]


def rea(r: list[str], *args: str) -> tuple[int, str]:
    result = invoke([*args, *r])
    return result.exit_code, result.stdout + result.stderr


def both(r: list[str], work: str, decision: str, phase: list[str], *extra: str) -> None:
    for reviewer in ("AH", "MS"):
        code, said = rea(r, "decide", work, decision, *phase, "--reviewer", reviewer, *extra)
        assert code == 0, said


def counts(r: list[str], *flags: str) -> dict[str, Any]:
    result = invoke(["prisma", "--json", *flags, *r])
    assert result.exit_code == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


@pytest.mark.parametrize("status", ["sought", "not_retrieved", "retrieved"])
def test_a_work_excluded_after_its_full_text_was_sought_is_no_dead_end(
    tmp_path: Path, status: str
) -> None:
    paths = make_review(tmp_path, 2, share=1.0)
    r = ["--review", str(paths.root)]
    both(r, "1", "include", TA)
    both(r, "2", "exclude", TA, *REASON)
    location = ["--location", "pdfs/w1.pdf"] if status == "retrieved" else []
    assert rea(r, "fulltext", "1", status, "--by", "AH", *location)[0] == 0
    both(r, "1", "exclude", TA, *REASON)  # a change of mind: the work leaves full text

    code, said = rea(r, "fulltext", "1", "withdraw", "--by", "AH", "--note", "excluded at TA")
    assert code == 0, said
    assert f"work 1 full text {status} withdrawn" in said
    counts(r, "--final")  # nothing blocks the final counts
    code, said = rea(r, "report")
    assert code == 0, said

    # the audit trail keeps both: the entry and its withdrawal
    conn = sqlite3.connect(paths.store)
    assert [row[0] for row in conn.execute("SELECT status FROM retrieval")] == [status]
    assert conn.execute(
        "SELECT work_id, withdrawn_by, note FROM retrieval_withdrawals"
    ).fetchall() == [(1, "AH", "excluded at TA")]
    conn.close()

    # back in full text, the withdrawn entry does not count: the full text is sought afresh
    both(r, "1", "include", TA)
    assert counts(r)["total"]["databases"]["reports_not_retrieved"] == 0
    assert rea(r, "fulltext", "1", "not_retrieved", "--by", "MS")[0] == 0
    assert counts(r, "--final")["total"]["databases"]["reports_not_retrieved"] == 1


def test_withdraw_is_refused_with_nothing_to_withdraw_or_decisions_standing(
    tmp_path: Path,
) -> None:
    paths = make_review(tmp_path, 2, share=1.0)
    r = ["--review", str(paths.root)]
    both(r, "1", "include", TA)
    code, said = rea(r, "fulltext", "1", "withdraw", "--by", "AH")
    assert code == 1 and "Error: work 1 has no full-text retrieval record to withdraw" in said
    assert rea(r, "fulltext", "1", "retrieved", "--location", "w1.pdf", "--by", "AH")[0] == 0
    both(r, "1", "include", FT)
    code, said = rea(r, "fulltext", "1", "withdraw", "--by", "AH")
    assert code == 1 and "has full-text decisions (AH include, MS include)" in said
    assert "rea decide 1 undo --phase full_text" in said
    code, said = rea(r, "fulltext", "1", "withdraw", "--by", "nobody")
    assert code == 1 and "nobody" in said
    code, said = rea(r, "fulltext", "1", "withdraw", "--by", "AH", "--location", "x.pdf")
    assert code == 1 and "--location goes with 'retrieved' only" in said
    # the decisions withdrawn, the record goes
    for reviewer in ("AH", "MS"):
        assert rea(r, "decide", "1", "undo", *FT, "--reviewer", reviewer)[0] == 0
    assert rea(r, "fulltext", "1", "withdraw", "--by", "AH")[0] == 0
    code, said = rea(r, "fulltext", "1", "withdraw", "--by", "AH")
    assert code == 1  # withdrawn already: nothing left to withdraw
