"""Blinding from the command line: a screener sees their own decisions and the others' progress,
never the others' decisions, unless someone asks for everyone's (and is told it unblinds)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import invoke
from tests.screening_support import make_review

TA = ["--phase", "title_abstract"]
REASON = ["--reason", "not-gp-collaboration"]


def blind_review(tmp_path: Path) -> list[str]:
    """Three works, double-screened: AH includes 1 and 2, MS excludes 1 and includes 3."""
    paths = make_review(tmp_path, 3, share=1.0)
    r = ["--review", str(paths.root)]
    for work, decision, reviewer in (
        ("1", "include", "AH"),
        ("2", "include", "AH"),
        ("1", "exclude", "MS"),
        ("3", "include", "MS"),
    ):
        extra = REASON if decision == "exclude" else []
        result = invoke(["decide", work, decision, *TA, "--reviewer", reviewer, *extra, *r])
        assert result.exit_code == 0, result.stderr
    return r


def test_export_of_everyone_needs_a_flag_and_warns(tmp_path: Path) -> None:
    r = blind_review(tmp_path)
    result = invoke(["screen", "export", *r])
    assert result.exit_code == 2
    assert "--reviewer NAME" in result.stderr and "--all-reviewers" in result.stderr
    assert "MS" not in result.stdout

    result = invoke(["screen", "export", "--all-reviewers", *r])
    assert result.exit_code == 0
    assert result.stderr.startswith("Warning: this shows every reviewer's decisions")
    assert "unblinds" in result.stderr
    assert "MS" in result.stdout and "AH" in result.stdout

    result = invoke(["screen", "export", "--reviewer", "AH", *r])
    assert result.exit_code == 0 and "Warning" not in result.stderr
    assert "MS" not in result.stdout and "not-gp-collaboration" not in result.stdout

    both = invoke(["screen", "export", "--reviewer", "AH", "--all-reviewers", *r])
    assert both.exit_code == 2


def test_stats_show_the_others_progress_but_not_their_decisions(tmp_path: Path) -> None:
    r = blind_review(tmp_path)
    result = invoke(["screen", "stats", "--reviewer", "AH", "--json", *r])
    assert result.exit_code == 0, result.stderr
    ta = next(p for p in json.loads(result.stdout) if p["phase"] == "title_abstract")
    rows = {row["reviewer"]: row for row in ta["reviewers"]}
    assert (rows["AH"]["included"], rows["AH"]["excluded"]) == (2, 0)  # own decisions
    assert (rows["MS"]["assigned"], rows["MS"]["screened"], rows["MS"]["remaining"]) == (3, 2, 1)
    hidden = {"included", "excluded", "maybe", "conflicts"}
    assert not hidden & rows["MS"].keys()
    assert ta["agreement"] == []

    text = invoke(["screen", "stats", *r]).stdout
    ms = next(line.split() for line in text.splitlines() if line.strip().startswith("MS"))
    assert ms == ["MS", "3", "2", "-", "-", "-", "1", "-"]
    assert "kappa AH" not in text and "--all-reviewers shows them" in text

    everything = invoke(["screen", "stats", "--all-reviewers", *r])
    assert everything.stderr.startswith("Warning: this shows every reviewer's decisions")
    assert "kappa AH–MS" in everything.stdout


def test_an_open_review_shows_everything_without_a_warning(tmp_path: Path) -> None:
    paths = make_review(tmp_path, 2, share=1.0)
    toml = paths.screening.read_text(encoding="utf-8")
    paths.screening.write_text(toml.replace("blind = true", "blind = false"), encoding="utf-8")
    r = ["--review", str(paths.root)]
    invoke(["decide", "1", "include", *TA, "--reviewer", "MS", *r])
    result = invoke(["screen", "stats", "--all-reviewers", *r])
    assert result.exit_code == 0 and "Warning" not in result.stderr
    text = invoke(["screen", "stats", *r]).stdout
    ms = next(line.split() for line in text.splitlines() if line.strip().startswith("MS"))
    assert ms[3] == "1"  # MS's include is shown: nothing is blind


def test_dedup_explain_does_not_say_whether_a_work_was_screened(tmp_path: Path) -> None:
    r = blind_review(tmp_path)
    text = invoke(["dedup", "explain", "1", *r])
    assert text.exit_code == 0, text.stderr
    assert "screened" not in text.stdout
    data = json.loads(invoke(["dedup", "explain", "1", "--json", *r]).stdout)
    assert not {k for k in data if "screen" in k}


def test_dedup_review_takes_only_reviewers_of_the_review(tmp_path: Path) -> None:
    r = blind_review(tmp_path)
    result = invoke(["dedup", "review", "--decide", "1", "2", "separate", "--reviewer", "XX", *r])
    assert result.exit_code == 1
    assert "XX" in result.stderr and "AH, MS, JS" in result.stderr
    result = invoke(["dedup", "review", "--reviewer", "XX", *r], input="s\n")
    assert result.exit_code == 1 and "Error: " in result.stderr
    result = invoke(["dedup", "undo", "1", "--reviewer", "nobody", *r])
    assert result.exit_code == 1 and "nobody" in result.stderr
    result = invoke(["dedup", "review", "--decide", "1", "2", "separate", "--reviewer", "AH", *r])
    assert result.exit_code == 0, result.stderr
