"""Lints: what a librarian's peer review of a search strategy (PRESS) would flag, with positions.

Each rule returns :class:`Finding` objects:

- ``duplicate-term``: the same term twice in one OR group;
- ``subsumed-term``: a term that adds nothing because another term of the same OR group already
  finds every record it finds (``"primary care network*"`` beside ``network*``);
- ``inconsistent-term``: the same concept written differently in two similar OR groups
  (``"network"`` in one, ``network*`` in the other);
- ``short-stem``: truncation after four letters or fewer (``GP*`` also finds GPS and GPU;
  ``valu*`` and ``cost*`` expand to hundreds of words);
- ``unsupported``: what a target database cannot run as written (rules in :data:`DB_RULES`);
- the parser's own findings: ``unbalanced-quote``, ``empty-group``, ``implicit-and``,
  ``mixed-operators`` and other syntax errors.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path

from rea.query.ast import Group, Node, Term, iter_groups, iter_terms
from rea.query.findings import Finding
from rea.query.parser import parse_with_findings
from rea.query.strategy import DATABASES, Strategy

#: Truncation after this many letters or fewer is flagged as a short stem.
SHORT_STEM = 4

# Database rules for truncation, each from the database's own help:
# - PubMed: "At least four characters must be provided in the truncated term. The truncated term
#   must be the last word in the phrase." PubMed truncates only at the end of a word.
#   https://pubmed.ncbi.nlm.nih.gov/help/#truncating-search-terms
# - Web of Science: "At least three characters must precede the wildcard in Title and Topic
#   searches"; left-hand truncation needs three characters after the wildcard; very broad
#   truncation "may return incomplete results (or no results)".
#   images.webofknowledge.com/WOKRS58B4/help/WOK/hs_wildcards.html and
#   images.webofknowledge.com/data/WOKRS529MR9/help/CCC/hs_topic.html
# - Ovid: truncation and wildcard symbols "can be used anywhere in your search term, except as
#   the first character"; * and $ truncate at the end of a word, # and ? are in-word wildcards.
#   https://ciap.health.nsw.gov.au/training/ebp-learning-modules/module3/truncation-wildcards-and-phrases-on-ovid-databases.html
# - Scopus: * may stand inside a word (h*emoglobin) and in loose phrases ("wind turbine*"), and
#   at the start of a word (*behavio*). help.scopus.com/robo/projects/schelp/h_srchtips.htm,
#   https://library-guides.ucl.ac.uk/scopus/search-techniques, libguides.oulu.fi Scopus guide
DB_RULES = {
    "pubmed": {"min_stem": 4, "leading": False, "inner": False, "phrase_last_only": True},
    "wos": {"min_stem": 3, "leading": True, "inner": True, "phrase_last_only": False},
    "ovid": {"min_stem": 1, "leading": False, "inner": False, "phrase_last_only": False},
    "scopus": {"min_stem": 1, "leading": True, "inner": True, "phrase_last_only": False},
}
DB_NAMES = {"pubmed": "PubMed", "scopus": "Scopus", "wos": "Web of Science", "ovid": "Ovid MEDLINE"}


def stem(word: str) -> str:
    """The letters before the first ``*`` of a word."""
    return word.split("*", 1)[0]


def _letters(text: str) -> int:
    return sum(ch.isalnum() for ch in text)


def _base(term: Term) -> str:
    """A term with truncation, quotes, case and hyphens ignored: what concept it names."""
    return " ".join(term.key.replace("*", "").replace("-", " ").split())


def _word_matches(general: str, specific: str) -> bool:
    """Does every word matched by ``specific`` also match ``general``?"""
    if general.endswith("*") and "*" not in general[:-1]:
        return specific.replace("*", "").startswith(general[:-1]) and ("*" not in specific[:-1])
    return general == specific


def subsumes(general: Term, specific: Term) -> bool:
    """True when every record ``specific`` finds is also found by ``general``: the words of
    ``general`` appear in order, side by side, within ``specific``."""
    g = [w.lower() for w in general.words]
    s = [w.lower() for w in specific.words]
    if general.key == specific.key or len(g) > len(s):
        return False
    for start in range(len(s) - len(g) + 1):
        if all(_word_matches(gw, sw) for gw, sw in zip(g, s[start : start + len(g)], strict=True)):
            return True
    return False


def _or_groups(node: Node) -> list[list[Term]]:
    """The terms directly inside each OR group (a lone term counts as a group of one)."""
    groups = [
        [c for c in g.children if isinstance(c, Term)] for g in iter_groups(node) if g.op == "OR"
    ]
    if isinstance(node, Term):
        groups.append([node])
    return [g for g in groups if g]


def _where(term: Term) -> str:
    return f"{term.pos}" if term.pos else "elsewhere"


def lint_duplicates(groups: Iterable[Sequence[Term]], path: str | None) -> list[Finding]:
    out: list[Finding] = []
    for terms in groups:
        seen: dict[str, Term] = {}
        for term in terms:
            first = seen.get(term.key)
            if first is not None:
                out.append(
                    Finding(
                        "duplicate-term",
                        "warning",
                        f"{term.written()} is already in this group (at {_where(first)})",
                        term.pos,
                        path,
                        hint="remove the repeated term",
                        term=term.text,
                    )
                )
            else:
                seen[term.key] = term
    return out


def lint_subsumed(groups: Iterable[Sequence[Term]], path: str | None) -> list[Finding]:
    out: list[Finding] = []
    for terms in groups:
        for term in terms:
            for other in terms:
                if other is not term and subsumes(other, term):
                    out.append(
                        Finding(
                            "subsumed-term",
                            "warning",
                            f"{term.written()} adds nothing: {other.written()} "
                            f"(at {_where(other)}) already finds every record it finds",
                            term.pos,
                            path,
                            hint="keep it only if a database searches it differently; "
                            "otherwise remove it",
                            term=term.text,
                        )
                    )
                    break
    return out


def lint_inconsistent(groups: Sequence[Sequence[Term]], path: str | None) -> list[Finding]:
    """Two OR groups that share most terms (the same concept) but spell one differently."""
    out: list[Finding] = []
    reported: set[tuple[str, str]] = set()
    for i, first in enumerate(groups):
        for second in groups[i + 1 :]:
            keys1 = {t.key for t in first}
            keys2 = {t.key for t in second}
            shared = len(keys1 & keys2)
            if shared < 2 or shared * 2 < min(len(keys1), len(keys2)):
                continue
            for term in second:
                if term.key in keys1:
                    continue
                for other in first:
                    if other.key not in keys2 and _base(other) == _base(term):
                        pair = (term.key, other.key)
                        if pair in reported:
                            continue
                        reported.add(pair)
                        out.append(
                            Finding(
                                "inconsistent-term",
                                "warning",
                                f"{term.written()} here, but {other.written()} at "
                                f"{_where(other)} in a group with the same terms",
                                term.pos,
                                path,
                                hint="write the concept the same way in both places",
                                term=term.text,
                            )
                        )
    return out


def lint_short_stems(terms: Iterable[Term], path: str | None) -> list[Finding]:
    """Single words truncated after a few letters (in a phrase the other words hold it)."""
    out: list[Finding] = []
    for term in terms:
        if term.is_phrase:
            continue
        word = term.words[0]
        letters = _letters(stem(word))
        if "*" in word and 0 < letters <= SHORT_STEM:
            out.append(
                Finding(
                    "short-stem",
                    "warning",
                    f"{word} truncates after {letters} letters: it finds every word that "
                    f"begins with {stem(word)!r}, most of them unrelated",
                    term.pos,
                    path,
                    hint="truncate later or list the forms you mean (GP OR GPs); Web of "
                    "Science warns that very broad truncation may return incomplete results",
                    term=term.text,
                )
            )
    return out


def unsupported(term: Term, db: str) -> list[str]:
    """Why ``db`` cannot run ``term`` as written (empty if it can)."""
    rules = DB_RULES[db]
    name = DB_NAMES[db]
    problems: list[str] = []
    for n, word in enumerate(term.words):
        if "*" not in word:
            continue
        leading = word.startswith("*")
        if leading and not rules["leading"]:
            problems.append(f"{name} cannot truncate at the start of a word ({word})")
        elif leading and db == "wos" and _letters(word) < 3:
            problems.append(f"{name} needs three characters after a leading * ({word})")
        if not leading and 0 < _letters(stem(word)) < int(rules["min_stem"]):
            problems.append(
                f"{name} needs at least {rules['min_stem']} characters before * ({word})"
            )
        if "*" in word.strip("*") and not rules["inner"]:
            problems.append(f"{name} truncates only at the end of a word ({word})")
        if rules["phrase_last_only"] and n < len(term.words) - 1:
            problems.append(f"{name} truncates only the last word of a phrase ({word})")
    return problems


def lint_databases(terms: Iterable[Term], dbs: Sequence[str], path: str | None) -> list[Finding]:
    out: list[Finding] = []
    for term in terms:
        for db in dbs:
            for problem in unsupported(term, db):
                out.append(
                    Finding(
                        "unsupported",
                        "warning",
                        f"{problem}; the rendered query says how it is searched instead",
                        term.pos,
                        path,
                        db=db,
                        term=term.text,
                    )
                )
    return out


FOREIGN = set("[]{}=?#$")


def lint_foreign_syntax(terms: Iterable[Term], path: str | None) -> list[Finding]:
    """Field tags or wildcards of one database written into a term (``covid[tiab]``, ``wom?n``)."""
    out: list[Finding] = []
    for term in terms:
        odd = sorted({ch for ch in term.text if ch in FOREIGN})
        if odd:
            out.append(
                Finding(
                    "foreign-syntax",
                    "warning",
                    f"{term.written()} contains {' '.join(odd)}: database syntax inside a term is "
                    "searched as text by the other databases",
                    term.pos,
                    path,
                    hint="write plain terms with * truncation; rea adds each database's field "
                    "tags and syntax",
                    term=term.text,
                )
            )
    return out


def lint_tree(
    node: Node, *, path: str | None = None, dbs: Sequence[str] = tuple(DB_RULES)
) -> list[Finding]:
    """Every lint of one tree."""
    groups = _or_groups(node)
    terms = iter_terms(node)
    return (
        lint_duplicates(groups, path)
        + lint_subsumed(groups, path)
        + lint_inconsistent(groups, path)
        + lint_short_stems(terms, path)
        + lint_foreign_syntax(terms, path)
        + lint_databases(terms, dbs, path)
    )


def lint_text(text: str, *, path: str | Path | None = None) -> list[Finding]:
    """Parse ``text`` (going on after errors) and lint it; findings sorted by position."""
    where = str(path) if path is not None else None
    node, findings = parse_with_findings(text, path=path)
    if node is not None:
        findings += lint_tree(node, path=where)
    return sort_findings(findings)


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(
        findings,
        key=lambda f: (
            f.path or "",
            f.pos.line if f.pos else 0,
            f.pos.column if f.pos else 0,
            f.code,
            f.db or "",
        ),
    )


def lint_strategy_tree(
    blocks: Sequence[tuple[Node, str | None]], dbs: Sequence[str]
) -> list[Finding]:
    """Lint the blocks of a strategy together (cross-block rules see all groups)."""
    groups: list[list[Term]] = []
    out: list[Finding] = []
    path = next((p for _, p in blocks if p), None)
    for node, where in blocks:
        own = _or_groups(node)
        groups += own
        terms = iter_terms(node)
        out += lint_duplicates(own, where) + lint_subsumed(own, where)
        out += lint_short_stems(terms, where) + lint_foreign_syntax(terms, where)
        out += lint_databases(terms, dbs, where)
    out += lint_inconsistent(groups, path)
    return sort_findings(out)


def lint_strategy(strategy: Strategy) -> list[Finding]:
    """Every lint of a loaded strategy, positions in its file; database rules for the databases
    it searches (all four if it names none)."""
    dbs = [db for db in (*strategy.api_sources, *strategy.import_sources) if db in DATABASES]
    path = str(strategy.path) if strategy.path else None
    trees: list[tuple[Node, str | None]] = [(b.node, path) for b in strategy.blocks]
    if strategy.text is not None:
        trees.append((strategy.text, path))
    for stage in strategy.stages:
        trees += [(node, path) for _, node in stage.add_terms]
    findings = list(strategy.findings) + lint_strategy_tree(trees, dbs or DATABASES)
    if strategy.expression is not None:
        used = {t.text for t in iter_terms(strategy.expression)}
        findings += [
            Finding(
                "unused-block",
                "warning",
                f"block {block.name!r} is not used in [query] expression",
                block.pos,
                path,
                hint="add it to the expression or remove it",
                term=block.name,
            )
            for block in strategy.blocks
            if block.name not in used
        ]
    return sort_findings(_accept(f, strategy) for f in findings)


def _accept(finding: Finding, strategy: Strategy) -> Finding:
    """Mark a finding the strategy's ``[lint] accept`` list has looked at and kept."""
    if finding.severity == "error":
        return finding
    for rule in strategy.accepted:
        if rule.code != finding.code or (rule.db and rule.db != finding.db):
            continue
        if rule.term and (finding.term or "").lower() != rule.term.lower().strip('"'):
            continue
        return replace(finding, accepted=rule.reason)
    return finding


__all__ = [
    "Group",
    "lint_strategy",
    "lint_strategy_tree",
    "lint_text",
    "lint_tree",
    "subsumes",
    "unsupported",
]
