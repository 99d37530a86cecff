"""Search strategies as data: the model and loader, the boolean parser, lints and renderers.

The contract other parts of rea code against::

    strategy = load_strategy(Path("searches/pcn-rea/strategy.toml"))
    stage = strategy.stage("2013-2018-all")       # Stage: id, label, date_from, date_to, languages
    strategy.api_sources                          # ("pubmed", "scopus")
    strategy.terms(stage.id)                      # ["primary care*", ...]
    query = render(strategy, "pubmed", stage.id)  # RenderedQuery: db, stage, text, warnings, params
"""

from rea.query.ast import Group, Node, Not, Pos, Term
from rea.query.findings import Finding
from rea.query.parser import parse, parse_with_findings
from rea.query.render import RenderedQuery, render
from rea.query.strategy import DATABASES, Block, Filters, Stage, Strategy, load_strategy

__all__ = [
    "DATABASES",
    "Block",
    "Filters",
    "Finding",
    "Group",
    "Node",
    "Not",
    "Pos",
    "RenderedQuery",
    "Stage",
    "Strategy",
    "Term",
    "load_strategy",
    "parse",
    "parse_with_findings",
    "render",
]
