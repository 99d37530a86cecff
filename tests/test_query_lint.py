"""Lints: the printed Box 4's defects at their exact places, and the rules on small cases."""

from __future__ import annotations

from pathlib import Path

import pytest

from rea.errors import StrategyError
from rea.query import Term, load_strategy, parse
from rea.query.lint import lint_strategy, lint_text, subsumes, unsupported
from tests.query_support import MINIMAL, STRATEGY, VERBATIM, write


def test_verbatim_box4_findings_at_their_positions() -> None:
    findings = lint_text(VERBATIM.read_text(encoding="utf-8"), path=VERBATIM)
    got = [(str(f.pos), f.code, f.db, f.term) for f in findings]
    assert got == [
        ("1:70", "short-stem", None, "GP*"),
        ("1:70", "unsupported", "pubmed", "GP*"),
        ("1:70", "unsupported", "wos", "GP*"),
        ("1:122", "duplicate-term", None, "primary care*"),
        ("3:31", "subsumed-term", None, "primary care network*"),
        ("3:341", "short-stem", None, "valu*"),
        ("3:365", "short-stem", None, "cost*"),
        ("7:3", "concept-copy", None, "co-operat*"),
        ("7:20", "quoted-bare", "wos", "alliance"),
        ("7:61", "inconsistent-term", None, "network"),
        ("7:275", "duplicate-term", None, "cooperat*"),
        ("7:374", "short-stem", None, "GP*"),
        ("7:374", "unsupported", "pubmed", "GP*"),
        ("7:374", "unsupported", "wos", "GP*"),
        ("7:400", "unbalanced-quote", None, None),
        ("7:425", "duplicate-term", None, "primary care*"),
        ("7:472", "subsumed-term", None, "economies of scope"),
        ("7:496", "stopword-phrase", "cinahl", "at scale"),
        ("7:496", "stopword-phrase", "pubmed", "at scale"),
        ("7:521", "short-stem", None, "cost*"),
    ]
    assert all(f.path == str(VERBATIM) for f in findings)
    # each position points at the term in the file
    lines = VERBATIM.read_text(encoding="utf-8").splitlines()
    for finding in findings:
        assert finding.pos is not None
        at = lines[finding.pos.line - 1][finding.pos.column - 1 :]
        if finding.code == "concept-copy":  # points at the copy that lacks the term
            assert at.startswith('"collaborat*"'), finding
        elif finding.term:
            assert at.lstrip('"').lower().startswith(finding.term.lower()), finding
    assert [f.severity for f in findings].count("error") == 1


def test_inconsistent_term_names_the_other_spelling() -> None:
    findings = lint_text(VERBATIM.read_text(encoding="utf-8"))
    message = next(f.message for f in findings if f.code == "inconsistent-term")
    assert message == '"network" here, but network* at 3:58 in a group with the same terms'


@pytest.mark.parametrize(
    ("general", "specific", "expected"),
    [
        ("network*", '"primary care network*"', True),
        ('"primary care*"', '"primary care network*"', True),
        ('"scope"', '"economies of scope"', True),
        ('"at scale"', '"economies at scale*"', False),  # scale* finds more than scale
        ("network", "network*", False),
        ("network*", "networking", True),
        ('"primary care"', '"primary health care"', False),
        ("cost*", "cost*", False),  # the same term is a duplicate, not subsumed
    ],
)
def test_subsumption(general: str, specific: str, expected: bool) -> None:
    g, s = parse(general), parse(specific)
    assert isinstance(g, Term) and isinstance(s, Term)
    assert subsumes(g, s) is expected


@pytest.mark.parametrize(
    ("term", "db", "problem"),
    [
        ("GP*", "pubmed", "at least 4 characters"),
        ("GP*", "wos", "at least 3 characters"),
        ("GP*", "scopus", None),
        ("GP*", "ovid", None),
        ("*oxide", "pubmed", "start of a word"),
        ("*oxide", "ovid", "start of a word"),
        ("*oxide", "wos", None),
        ("*ox", "wos", "three characters after"),
        # PubMed since June 2024: wildcards inside a word and inside a phrase, several per term
        ('"breast* feeding"', "pubmed", None),
        ('"colo* cancer*"', "pubmed", None),
        ("organi*ation*", "pubmed", None),
        ('"col* cancer"', "pubmed", "at least 4 characters"),
        ("organi*ation", "scopus", None),
        ("cost*", "pubmed", None),
        ("GP*", "cochrane", None),
        # a phrase with a wildcard: Cochrane writes NEXT, Europe PMC ANDs the words
        ('"primary care*"', "cochrane", None),
        ('"primary care*"', "europepmc", None),
        ("*oxide", "embase", "start of a word"),
    ],
)
def test_database_rules(term: str, db: str, problem: str | None) -> None:
    node = parse(term)
    assert isinstance(node, Term)
    found = unsupported(node, db)
    if problem is None:
        assert found == []
    else:
        assert len(found) == 1 and problem in found[0]


def test_shipped_strategy_findings_are_all_accepted_with_reasons() -> None:
    findings = lint_strategy(load_strategy(STRATEGY))
    assert findings, "the printed terms have known findings"
    assert all(f.accepted for f in findings)
    assert {f.code for f in findings} == {"short-stem", "subsumed-term", "stopword-phrase"}
    lines = STRATEGY.read_text(encoding="utf-8").splitlines()
    for finding in findings:
        assert finding.pos is not None and finding.term is not None
        at = lines[finding.pos.line - 1][finding.pos.column - 1 :]
        assert at.lstrip('"').startswith(finding.term), finding


def test_acceptance_matches_code_and_term_only(tmp_path: Path) -> None:
    text = MINIMAL.replace("GP*", "GP* OR GP*") + (
        '\n[lint]\naccept = [{ code = "short-stem", term = "GP*", reason = "wanted" }]\n'
    )
    findings = lint_strategy(load_strategy(write(tmp_path, text)))
    short = [f for f in findings if f.code == "short-stem"]
    dupes = [f for f in findings if f.code == "duplicate-term"]
    assert short and all(f.accepted == "wanted" for f in short)
    assert dupes and not any(f.accepted for f in dupes)
    assert str(dupes[0].pos) == "6:37"


def test_unused_block_and_foreign_syntax(tmp_path: Path) -> None:
    text = MINIMAL.replace('terms = ["network*", "alliance"]', 'terms = ["wom?n"]')
    text = text.replace('expression = "a AND b"', 'expression = "a"')
    findings = lint_strategy(load_strategy(write(tmp_path, text)))
    got = {(f.code, str(f.pos)) for f in findings}
    assert ("unused-block", "8:1") in got
    assert ("foreign-syntax", "9:11") in got


@pytest.mark.parametrize(
    ("code", "text"),
    [
        ("duplicate-term", "a* OR a*"),
        ("subsumed-term", 'network* OR "primary care network*"'),
        ("inconsistent-term", '(aaaa OR bbbb OR "cccc") AND (aaaa OR bbbb OR cccc*)'),
        ("concept-copy", "(aaaa OR bbbb OR cccc OR dddd) AND (aaaa OR bbbb OR cccc)"),
        ("short-stem", "gp*"),
        ("unsupported", "gp*"),
        ("foreign-syntax", "wom?n"),
        ("stopword-phrase", '"at scale"'),
        ("quoted-bare", '("alliance" OR x) AND (alliance OR y)'),
        ("implicit-and", "a b"),
        ("mixed-operators", "a OR b AND c"),
        ("unbalanced-quote", '"a b'),
        ("unbalanced-parenthesis", "(a OR b"),
        ("empty-group", "a AND ()"),
        ("empty-phrase", 'a OR ""'),
        ("missing-operand", "a AND"),
        ("syntax", "a[nonsense]"),
    ],
)
def test_every_lint_fires_on_the_fault_it_names(code: str, text: str) -> None:
    assert code in {f.code for f in lint_text(text)}


def test_each_new_lint_stays_quiet_on_sound_text() -> None:
    sound = (
        '(aaaa OR bbbb OR cccc) AND (aaaa OR bbbb OR cccc) AND "economies of scale" '
        'AND ("alliance" OR x) AND ("alliance" OR y)'
    )
    codes = {f.code for f in lint_text(sound)}
    assert not codes & {"concept-copy", "stopword-phrase", "quoted-bare"}


def test_concept_copy_names_the_missing_term_and_where_the_copy_is() -> None:
    findings = lint_text("(aaaa OR bbbb OR cccc OR dddd) AND\n(aaaa OR bbbb OR cccc)")
    copy = [f for f in findings if f.code == "concept-copy"]
    assert len(copy) == 1
    assert copy[0].term == "dddd" and str(copy[0].pos) == "2:2"
    assert copy[0].message == "dddd (at 1:26) is missing from this copy of the same concept"


def test_stopword_phrase_names_each_database_that_drops_the_word() -> None:
    findings = [
        f for f in lint_text('"care at" OR "economies of scale"') if f.code == "stopword-phrase"
    ]
    # "at" ends a phrase (dropped by PubMed and EBSCOhost); "of" inside a phrase is fine
    assert {(f.term, f.db) for f in findings} == {("care at", "pubmed"), ("care at", "cinahl")}


def test_quoted_bare_is_about_exactness_in_a_strategy(tmp_path: Path) -> None:
    text = MINIMAL.replace('"primary care*" OR GP*', "scope[exact] OR GP*").replace(
        'terms = ["network*", "alliance"]', 'terms = ["scope", "alliance"]'
    )
    findings = lint_strategy(load_strategy(write(tmp_path, text)))
    quoted = [f for f in findings if f.code == "quoted-bare"]
    assert [(f.term, f.db) for f in quoted] == [("scope", "wos")]
    # in strategy.toml quotes around a single word are not exactness: no finding
    plain = MINIMAL.replace('"primary care*" OR GP*', '"scope" OR GP*').replace(
        'terms = ["network*", "alliance"]', 'terms = ["scope", "alliance"]'
    )
    assert not [
        f for f in lint_strategy(load_strategy(write(tmp_path, plain))) if f.code == "quoted-bare"
    ]


def test_declared_forms_settle_an_unsupported_truncation_and_accepting_it_is_refused(
    tmp_path: Path,
) -> None:
    findings = lint_strategy(load_strategy(write(tmp_path, MINIMAL)))
    assert {f.db for f in findings if f.code == "unsupported"} == {"pubmed", "wos"}
    declared = MINIMAL + '\n[truncation]\n"GP*" = ["GP", "GPs"]\n'
    findings = lint_strategy(load_strategy(write(tmp_path, declared)))
    assert not [f for f in findings if f.code == "unsupported"]
    accepted = MINIMAL + (
        '\n[lint]\naccept = [{ code = "unsupported", term = "GP*", reason = "as printed" }]\n'
    )
    with pytest.raises(StrategyError, match="cannot keep an unsupported truncation"):
        load_strategy(write(tmp_path, accepted))
