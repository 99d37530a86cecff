"""Renderers: golden files for every stage x database, and the boolean meaning kept intact."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rea.errors import NotFound, RenderError
from rea.pipeline.query import render_all
from rea.query import (
    DATABASES,
    Node,
    load_strategy,
    parse,
    render,
)
from rea.query.native import read_native
from tests.query_support import REVIEW, STRATEGY, canonical, declared_forms

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
        declared_forms(_tree(stage), {"GP*": ("GP", "GPs")})
    )
    assert "GP[tiab] OR GPs[tiab]" in body and "GP*" not in body
    assert any("GP*" in w and "4 characters" in w and "declares" in w for w in rendered.warnings)
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
def test_wos_over_49_operators_is_written_as_history_lines_each_within_them(stage: str) -> None:
    from rea.query.render.common import count_operators

    rendered = render(load_strategy(STRATEGY), "wos", stage)
    rows = rendered.text.splitlines()
    assert len(rows) > 1
    assert all(row.startswith(f"#{n} ") for n, row in enumerate(rows, start=1))
    assert all(count_operators(row.split(" ", 1)[1]) <= 49 for row in rows)
    years = "1998-2012" if stage.startswith("1998") else "2013-2018"
    assert rows[-1] == f"#{len(rows)} #{len(rows) - 1} AND PY=({years}) AND LA=(English)"
    # each group of terms is TI=(X) OR AB=(X) with the same X; no TS= (keywords not asked)
    assert "TS=" not in rendered.text
    for row in rows[:-1]:
        body = row.split(" ", 1)[1]
        if "TI=" in body:
            assert re.fullmatch(r"\(TI=\(([^()]*)\) OR AB=\(\1\)\)", body), body
    assert any("search-history lines" in w for w in rendered.warnings)
    assert any("Social Sciences Citation Index" in w for w in rendered.warnings)
    assert "GP OR GPs" in rendered.text and "GP*" not in rendered.text


@pytest.mark.parametrize("db", ["pubmed", "wos"])
def test_single_words_are_unquoted_unless_exact(db: str, tmp_path: Path) -> None:
    from tests.query_support import write

    path = write(
        tmp_path,
        "[review]\ntitle = 't'\n[query]\ntext = '\"scope\" OR mouse[exact] OR \"at scale\"'\n"
        "[[stages]]\nid = 'x'\ndate_from = 2000-01-01\ndate_to = 2000-12-31\n",
    )
    text = render(load_strategy(path), db, "x").text
    if db == "wos":
        assert text.startswith('(TI=(scope OR "mouse" OR "at scale") OR AB=(')
    else:
        assert text.startswith('(scope[tiab] OR mouse[tiab] OR "at scale"[tiab])')


@pytest.mark.parametrize("stage", STAGES)
def test_ovid_lines_combine_to_the_strategy(stage: str) -> None:
    rendered = render(load_strategy(STRATEGY), "ovid", stage)
    rows = rendered.text.splitlines()
    years = "1998 - 2012" if stage.startswith("1998") else "2013 - 2018"
    assert rows[-2].endswith(f"limit {len(rows) - 2} to english language")
    assert rows[-1] == f'{len(rows)} limit {len(rows) - 1} to yr="{years}"'
    assert all(re.match(rf"{i} ", row) for i, row in enumerate(rows, start=1))
    assert ("*" not in rendered.text and "review$.ti,ab." in rendered.text) or stage != STAGES[0]
    assert canonical(read_native(rendered.text, "ovid").tree) == canonical(_tree(stage))
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
    ).text.startswith("#1 TS=(")


def test_bad_render_requests_are_errors() -> None:
    strategy = load_strategy(STRATEGY)
    with pytest.raises(RenderError, match="unknown database 'medline'"):
        render(strategy, "medline", "2013-2018-all")
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


def test_an_or_group_over_the_limit_is_split_into_lines_each_within_it(tmp_path: Path) -> None:
    from rea.query.render.common import count_operators
    from tests.query_support import write

    words = [f"word{chr(97 + i // 26)}{chr(97 + i % 26)}" for i in range(120)]
    text = "(" + " OR ".join(words) + ") AND (" + " OR ".join(f"z{w}" for w in words[:30]) + ")"
    path = write(
        tmp_path,
        f"[review]\ntitle = 't'\n[query]\ntext = '{text}'\n"
        "[[stages]]\nid = 'x'\ndate_from = 2000-01-01\ndate_to = 2001-12-31\n",
    )
    strategy = load_strategy(path)
    rendered = render(strategy, "wos", "x")
    rows = rendered.text.splitlines()
    assert all(count_operators(row.split(" ", 1)[1]) <= 49 for row in rows)
    assert rows[-1].endswith("AND PY=(2000-2001) AND LA=(English)")
    imported = read_native(rendered.text, "wos")
    assert imported.tree is not None
    assert canonical(imported.tree) == canonical(strategy.query("x"))
    # a database without a documented limit keeps one query
    assert len(render(strategy, "scopus", "x").text.splitlines()) == 1


def test_every_registered_database_has_a_renderer_a_reader_and_cited_rules() -> None:
    import importlib

    from rea.query.databases import DATABASES as ENTRIES
    from rea.query.databases import label, prisma_category

    for db, entry in ENTRIES.items():
        module = importlib.import_module(f"rea.query.render.{entry.renderer}")
        assert callable(getattr(module, "render", None)), db
        assert entry.reader is not None
        importlib.import_module(f"rea.query.native.{entry.reader}")
        assert entry.docs, f"{db} cites no documentation"
        assert entry.label and label(db) == entry.label
        assert prisma_category(db) == "database"
        assert entry.history is None or "{n}" in entry.history
    assert label("citation_searching") == "Citation searching"
    assert prisma_category("citation_searching") == "citations"
    assert label("somewhere") == "somewhere" and prisma_category("somewhere") is None


def test_headings_are_rendered_natively_or_in_their_closest_form_with_a_warning(
    tmp_path: Path,
) -> None:
    from tests.query_support import write

    text = '("Primary Health Care"[mh] OR "primary health care"[emtree] OR "primary care*") AND gp'
    path = write(
        tmp_path,
        f"[review]\ntitle = 't'\n[query]\ntext = '{text}'\n"
        "[[stages]]\nid = 'x'\ndate_from = 2000-01-01\ndate_to = 2001-12-31\n",
    )
    strategy = load_strategy(path)
    pubmed = render(strategy, "pubmed", "x")
    assert pubmed.text.startswith('(("Primary Health Care"[mh] OR "primary care*"[tiab])')
    assert any("Emtree heading" in w and "left out" in w for w in pubmed.warnings)
    embase = render(strategy, "embase", "x")
    assert "'primary health care'/exp" in embase.text and "Primary Health Care" not in embase.text
    ovid = render(strategy, "ovid", "x").text.splitlines()
    assert ovid[0] == "1 exp Primary Health Care/"
    scopus = render(strategy, "scopus", "x")  # no vocabulary: each heading as a phrase
    assert scopus.text.startswith('TITLE-ABS(("Primary Health Care" OR "primary care*") AND gp)')
    assert any("no MeSH headings" in w for w in scopus.warnings)


@pytest.mark.parametrize(
    ("db", "written"),
    [
        ("pubmed", '"general practice"[tiab:~2]'),
        ("scopus", "general W/2 practice"),
        ("wos", "general NEAR/2 practice"),
        ("ovid", "(general adj3 practice).ti,ab."),
        ("embase", "(general NEAR/3 practice):ti,ab"),
        ("cinahl", "TI (general N2 practice)"),
        ("cochrane", "(general NEAR/3 practice):ti,ab"),
        ("europepmc", 'TITLE_ABS:"general practice"~2'),
    ],
)
def test_proximity_counts_words_between_as_each_database_does(
    db: str, written: str, tmp_path: Path
) -> None:
    from tests.query_support import write

    path = write(
        tmp_path,
        "[review]\ntitle = 't'\n[query]\ntext = 'general NEAR/2 practice'\n"
        "[[stages]]\nid = 'x'\ndate_from = 2000-01-01\ndate_to = 2001-12-31\n",
    )
    assert written in render(load_strategy(path), db, "x").text
