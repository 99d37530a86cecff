"""Renderers: golden files for every stage x database, and the boolean meaning kept intact."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rea.errors import NotFound, RenderError
from rea.pipeline.query import render_all
from rea.query import (
    DATABASES,
    Group,
    Node,
    Not,
    Stage,
    Strategy,
    Term,
    load_strategy,
    parse,
    render,
)
from tests.query_support import REVIEW, STRATEGY, canonical, strip_truncation

STAGES = ("1998-2012-reviews", "2013-2018-all")
QUERIES = REVIEW / "queries"


@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize("db", DATABASES)
def test_rendered_query_matches_its_golden_file(db: str, stage: str) -> None:
    rendered = render(load_strategy(STRATEGY), db, stage)
    golden = (QUERIES / stage / f"{db}.txt").read_text(encoding="utf-8")
    assert rendered.text + "\n" == golden, f"run `make queries` and review the diff of {db}"
    assert rendered.db == db and rendered.stage == stage


def test_make_queries_output_is_what_is_committed(tmp_path: Path) -> None:
    written = render_all(REVIEW, tmp_path)
    assert len(written) == len(STAGES) * len(DATABASES) + 1
    for path in written:
        committed = QUERIES / path.relative_to(tmp_path)
        assert path.read_text(encoding="utf-8") == committed.read_text(encoding="utf-8"), path


def _tree(stage: str) -> Node:
    return load_strategy(STRATEGY).query(stage)


@pytest.mark.parametrize("stage", STAGES)
def test_pubmed_tags_every_term_and_keeps_the_boolean_structure(stage: str) -> None:
    rendered = render(load_strategy(STRATEGY), "pubmed", stage)
    body, dates, language = rendered.text.rsplit(" AND ", 2)
    assert language == "english[la]"
    start, end = rendered.params["mindate"], rendered.params["maxdate"]
    assert dates == f'("{start}"[dp] : "{end}"[dp])'
    assert rendered.params["datetype"] == "pdat"
    # every term carries [tiab]: nothing but operators and parentheses is left without it
    untagged = re.sub(r'("[^"]+"|[^\s()"]+)\[tiab\]', "", body)
    assert set(untagged.replace("(", " ").replace(")", " ").split()) == {"AND", "OR"}
    assert canonical(parse(body.replace("[tiab]", ""))) == canonical(
        strip_truncation(_tree(stage), {"GP*"})
    )
    assert '"GP"[tiab]' in body and "GP*" not in body
    assert any("GP*" in w and "4 characters" in w for w in rendered.warnings)
    assert "review[pt]" not in rendered.text


@pytest.mark.parametrize("stage", STAGES)
def test_scopus_searches_title_and_abstract_with_its_filters(stage: str) -> None:
    rendered = render(load_strategy(STRATEGY), "scopus", stage)
    match = re.fullmatch(
        r"TITLE-ABS\((.*)\) AND PUBYEAR > (\d{4}) AND PUBYEAR < (\d{4}) AND LANGUAGE\(english\)"
        r" AND SUBJAREA\(MEDI OR SOCI OR NURS OR MULT OR HEAL\)",
        rendered.text,
    )
    assert match, rendered.text
    stage_obj = load_strategy(STRATEGY).stage(stage)
    assert int(match.group(2)) == stage_obj.date_from.year - 1
    assert int(match.group(3)) == stage_obj.date_to.year + 1
    assert canonical(parse(match.group(1))) == canonical(_tree(stage))
    assert "DOCTYPE" not in rendered.text
    ends_in_september = stage == "2013-2018-all"
    assert any("2018-09-21" in w for w in rendered.warnings) == ends_in_september


@pytest.mark.parametrize("stage", STAGES)
def test_wos_searches_each_group_in_title_or_abstract(stage: str) -> None:
    rendered = render(load_strategy(STRATEGY), "wos", stage)
    body, years, language = rendered.text.rsplit(" AND ", 2)
    assert years == f"PY=({'1998-2012' if stage.startswith('1998') else '2013-2018'})"
    assert language == "LA=(English)"
    assert "TS=" not in body
    # each group is TI=(X) OR AB=(X) with the same X; folding them back gives the strategy
    folded, count = re.subn(r"TI=\(([^()]*)\) OR AB=\(\1\)", r"(\1)", body)
    assert count > 0 and "TI=" not in folded and "AB=" not in folded
    assert canonical(parse(folded)) == canonical(strip_truncation(_tree(stage), {"GP*"}))
    assert any("Social Sciences Citation Index" in w for w in rendered.warnings)


def _ovid_tree(text: str) -> Node:
    """Rebuild the boolean tree from numbered Ovid lines (term lines and combinations)."""
    lines: dict[int, str] = {}
    for row in text.splitlines():
        number, line = row.split(" ", 1)
        lines[int(number)] = line

    def expr(n: int) -> str:
        line = lines[n]
        if line.endswith(".ti,ab."):
            items = line[: -len(".ti,ab.")].strip("()").split(" or ")
            return "(" + " OR ".join(f'"{i.replace("$", "*")}"' for i in items) + ")"
        if line.startswith("limit "):
            return expr(int(line.split()[1]))
        combined = re.fullmatch(r"(and|or)/(\d+)-(\d+)", line)
        if combined:
            op, a, b = combined.group(1), int(combined.group(2)), int(combined.group(3))
            return "(" + f" {op.upper()} ".join(expr(i) for i in range(a, b + 1)) + ")"
        parts = line.split(" ")
        ops = {p for p in parts[1::2]}
        assert len(ops) == 1
        return "(" + f" {ops.pop().upper()} ".join(expr(int(p)) for p in parts[::2]) + ")"

    return parse(expr(max(lines)))


@pytest.mark.parametrize("stage", STAGES)
def test_ovid_lines_combine_to_the_strategy(stage: str) -> None:
    rendered = render(load_strategy(STRATEGY), "ovid", stage)
    rows = rendered.text.splitlines()
    years = "1998 - 2012" if stage.startswith("1998") else "2013 - 2018"
    assert rows[-2].endswith(f"limit {len(rows) - 2} to english language")
    assert rows[-1] == f'{len(rows)} limit {len(rows) - 1} to yr="{years}"'
    assert all(re.match(rf"{i} ", row) for i, row in enumerate(rows, start=1))
    assert ("*" not in rendered.text and "review$.ti,ab." in rendered.text) or stage != STAGES[0]
    assert canonical(_ovid_tree(rendered.text)) == canonical(_tree(stage))
    # a repeated block is searched once and its line number reused
    assert len(set(rows)) == len(rows)


@pytest.mark.parametrize(
    ("db", "syntax"),
    [
        ("pubmed", "AND review[pt]"),
        ("scopus", "AND DOCTYPE(re)"),
        ("wos", "AND DT=(Review)"),
        ("ovid", 'to "review"'),
    ],
)
def test_native_review_filter_only_when_asked(db: str, syntax: str) -> None:
    strategy = load_strategy(STRATEGY)
    plain = render(strategy, db, "1998-2012-reviews")
    filtered = render(strategy, db, "1998-2012-reviews", review_filter=True)
    assert syntax not in plain.text
    assert syntax in filtered.text
    assert any("review filter added on request" in w for w in filtered.warnings)


def test_keywords_are_searched_only_when_asked() -> None:
    strategy = load_strategy(STRATEGY)
    assert render(strategy, "scopus", "2013-2018-all").text.startswith("TITLE-ABS(")
    keyed = render(strategy, "scopus", "2013-2018-all", fields="title_abstract_keywords")
    assert keyed.text.startswith("TITLE-ABS-KEY(")
    assert render(
        strategy, "wos", "2013-2018-all", fields="title_abstract_keywords"
    ).text.startswith("(TS=(")


def test_bad_render_requests_are_errors() -> None:
    strategy = load_strategy(STRATEGY)
    with pytest.raises(RenderError, match="unknown database 'embase'"):
        render(strategy, "embase", "2013-2018-all")
    with pytest.raises(RenderError, match="unknown render option"):
        render(strategy, "pubmed", "2013-2018-all", reviews=True)
    with pytest.raises(NotFound):
        render(strategy, "pubmed", "2019")


def test_not_is_and_not_in_scopus_and_a_not_line_in_ovid(tmp_path: Path) -> None:
    from tests.query_support import write

    path = write(
        tmp_path,
        """\
[review]
title = "t"
[query]
text = '''("primary care*" OR "general practice") NOT (child* OR paediatric*)'''
[[stages]]
id = "all"
date_from = 2000-01-01
date_to = 2000-12-31
""",
    )
    strategy = load_strategy(path)
    scopus = render(strategy, "scopus", "all").text
    assert scopus.startswith('TITLE-ABS(("primary care*" OR "general practice") AND NOT (child*')
    ovid = render(strategy, "ovid", "all").text.splitlines()
    assert ovid[:3] == [
        "1 (primary care$ or general practice).ti,ab.",
        "2 (child$ or paediatric$).ti,ab.",
        "3 1 not 2",
    ]
    wos = render(strategy, "wos", "all").text
    assert wos.startswith("((TI=(") and ") NOT (TI=(child* OR paediatric*)" in wos
    assert "PY=(2000)" in wos


def test_wos_quotes_a_bare_operator_word(tmp_path: Path) -> None:
    from tests.query_support import write

    path = write(
        tmp_path,
        "[review]\ntitle = 't'\n[query]\ntext = 'near OR \"far away\"'\n"
        "[[stages]]\nid = 'x'\ndate_from = 2000-01-01\ndate_to = 2000-12-31\n",
    )
    text = render(load_strategy(path), "wos", "x").text
    assert text.startswith('(TI=("near" OR "far away") OR AB=("near" OR "far away"))')


def test_render_all_removes_files_of_stages_that_are_gone(tmp_path: Path) -> None:
    stale = tmp_path / "2019-old" / "pubmed.txt"
    stale.parent.mkdir()
    stale.write_text("old\n", encoding="utf-8")
    mine = tmp_path / "2019-old" / "my-notes.md"
    mine.write_text("kept\n", encoding="utf-8")
    render_all(REVIEW, tmp_path)
    assert not stale.exists()
    assert mine.exists()


# -- every renderer keeps the meaning of any tree ------------------------------------------------
_AVOID = {"with", "near", "same", "adj", "and", "not"}
_plain = st.from_regex(r"[a-z]{4,8}", fullmatch=True).filter(lambda w: w not in _AVOID)
_last = st.builds(lambda w, star: w + ("*" if star else ""), _plain, st.booleans())
_term = st.one_of(
    st.builds(lambda w: Term((w,), False), _last),
    st.builds(lambda ws, w: Term((*ws, w), True), st.lists(_plain, min_size=1, max_size=2), _last),
)
_trees = st.recursive(
    _term,
    lambda kids: st.one_of(
        st.builds(
            lambda op, cs: Group(op, tuple(cs)),
            st.sampled_from(["AND", "OR"]),
            st.lists(kids, min_size=2, max_size=3),
        ),
        st.builds(Not, kids, kids),
    ),
    max_leaves=10,
)


def _strategy_of(tree: Node) -> Strategy:
    stage = Stage("s", "s", date(2001, 1, 1), date(2003, 12, 31))
    return Strategy("r", "t", None, (stage,), text=tree)


def _read_back(db: str, text: str) -> Node:
    """Undo each database's syntax and parse what is left with rea's own parser."""
    if db == "pubmed":
        body = text.rsplit(" AND ", 2)[0]
        return parse(body.replace("[tiab]", ""))
    if db == "scopus":
        body = re.fullmatch(
            r"TITLE-ABS\((.*)\) AND PUBYEAR > 2000 AND PUBYEAR < 2004"
            r" AND LANGUAGE\(english\)",
            text,
        )
        assert body, text
        return parse(body.group(1).replace(" AND NOT ", " NOT "))
    if db == "wos":
        body = text.rsplit(" AND ", 2)[0]
        folded, _ = re.subn(r"TI=\(([^()]*)\) OR AB=\(\1\)", r"(\1)", body)
        assert "TI=" not in folded and "AB=" not in folded
        return parse(folded)
    return _ovid_tree(text)


@settings(max_examples=60, deadline=None)
@given(_trees)
def test_every_renderer_keeps_the_boolean_meaning(tree: Node) -> None:
    strategy = _strategy_of(tree)
    for db in DATABASES:
        rendered = render(strategy, db, "s")
        assert canonical(_read_back(db, rendered.text)) == canonical(tree), (db, rendered.text)
