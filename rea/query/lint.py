"""Lints: what a librarian's peer review of a search strategy (PRESS) would flag, with positions.

Each rule returns :class:`Finding` objects:

- ``duplicate-term``: the same term twice in one OR group;
- ``subsumed-term``: a term that adds nothing because another term of the same OR group already
  finds every record it finds (``"primary care network*"`` beside ``network*``);
- ``inconsistent-term``: the same concept written differently in two similar OR groups
  (``"network"`` in one, ``network*`` in the other);
- ``short-stem``: truncation after four letters or fewer (``GP*`` also finds GPS and GPU;
  ``valu*`` and ``cost*`` expand to hundreds of words);
- ``unsupported``: a truncation a target database cannot run as written (rules in
  :mod:`rea.query.databases`) for which the strategy declares no forms (``[truncation]``);
- ``concept-copy``: a concept written twice (two OR groups with most terms in common) with a
  term missing from one copy;
- ``stopword-phrase``: a phrase that starts or ends with a stop word of a database that drops
  stop words even inside quotes (PubMed, EBSCOhost);
- ``quoted-bare``: the same word quoted (or ``[exact]``) in one place and bare in another, which
  Web of Science searches differently (quotes turn lemmatization off);
- the parser's own findings: ``unbalanced-quote``, ``empty-group``, ``implicit-and``,
  ``mixed-operators`` and other syntax errors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from pathlib import Path

from rea.query.ast import Group, Node, Term, iter_groups, iter_terms
from rea.query.databases import DATABASES as DATABASE_ENTRIES
from rea.query.databases import truncation_problems
from rea.query.findings import Finding
from rea.query.parser import parse_with_findings
from rea.query.strategy import DATABASES, Strategy

#: Truncation after this many letters or fewer is flagged as a short stem.
SHORT_STEM = 4

# Each database's truncation rules, limits and stop words are in its entry of
# rea.query.databases, with the documentation they come from.
DB_NAMES = {db.id: db.label for db in DATABASE_ENTRIES.values()}


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
    return truncation_problems(term, DATABASE_ENTRIES[db])


def lint_databases(
    terms: Iterable[Term],
    dbs: Sequence[str],
    path: str | None,
    declared: Callable[[Term], bool] = lambda term: False,
) -> list[Finding]:
    """Truncations a target database cannot run, unless the strategy declares their forms."""
    out: list[Finding] = []
    for term in terms:
        if declared(term):
            continue
        for db in dbs:
            for problem in unsupported(term, db):
                out.append(
                    Finding(
                        "unsupported",
                        "warning",
                        f"{problem}; without declared forms the rendered query searches less",
                        term.pos,
                        path,
                        hint=f'declare the forms it stands for: [truncation] "{term.text}" = '
                        '["...", "..."]',
                        db=db,
                        term=term.text,
                    )
                )
    return out


def lint_stopword_phrases(
    terms: Iterable[Term], dbs: Sequence[str], path: str | None
) -> list[Finding]:
    """Phrases that start or end with a word a database drops even inside quotes."""
    out: list[Finding] = []
    for term in terms:
        if not term.is_phrase:
            continue
        edges = {term.words[0].lower(), term.words[-1].lower()}
        for db in dbs:
            dropped = sorted(edges & DATABASE_ENTRIES[db].stopwords)
            if dropped:
                out.append(
                    Finding(
                        "stopword-phrase",
                        "warning",
                        f"{term.written()} starts or ends with {', '.join(dropped)}, a stop word "
                        f"{DB_NAMES[db]} ignores even inside quotes: it searches the rest of the "
                        "phrase alone",
                        term.pos,
                        path,
                        hint="drop the stop word, or use proximity between the other words",
                        db=db,
                        term=term.text,
                    )
                )
    return out


def lint_concept_copies(groups: Sequence[Sequence[Term]], path: str | None) -> list[Finding]:
    """Two OR groups that share most of their terms (a concept written twice) where one copy
    lacks a term the other has (and no spelling of it: that is ``inconsistent-term``)."""
    out: list[Finding] = []
    reported: set[tuple[int, str]] = set()
    for i, first in enumerate(groups):
        for j, second in enumerate(groups):
            if i == j:
                continue
            keys1 = {t.key for t in first}
            keys2 = {t.key for t in second}
            shared = len(keys1 & keys2)
            if keys1 == keys2 or shared < 2 or shared * 2 < min(len(keys1), len(keys2)):
                continue
            bases2 = {_base(t) for t in second}
            for term in first:
                if term.key in keys2 or _base(term) in bases2:
                    continue
                if any(subsumes(other, term) for other in second):
                    continue
                if (j, term.key) in reported:
                    continue
                reported.add((j, term.key))
                where = second[0].pos
                out.append(
                    Finding(
                        "concept-copy",
                        "warning",
                        f"{term.written()} (at {_where(term)}) is missing from this copy of the "
                        "same concept",
                        where,
                        path,
                        hint="write the concept once as a block, or add the term here",
                        term=term.text,
                    )
                )
    return out


def lint_quoted_bare(
    terms: Sequence[Term], dbs: Sequence[str], path: str | None, *, verbatim: bool
) -> list[Finding]:
    """A single word searched exactly in one place and bare in another: Web of Science
    lemmatizes the bare word (finds its plural) but not the quoted one."""
    if "wos" not in dbs:
        return []
    out: list[Finding] = []
    first: dict[str, Term] = {}
    reported: set[str] = set()

    def exact(term: Term) -> bool:
        return term.exact or (verbatim and term.quoted)

    for term in terms:
        if term.is_phrase or term.truncated:
            continue
        other = first.setdefault(term.key, term)
        if exact(other) != exact(term) and term.key not in reported:
            reported.add(term.key)
            out.append(
                Finding(
                    "quoted-bare",
                    "warning",
                    f"{term.written()} here but {other.written()} at {_where(other)}: Web of "
                    "Science lemmatizes the bare word (finds its plural and spelling variants) "
                    "and not the quoted one",
                    term.pos,
                    path,
                    hint="write the word the same way in both places",
                    db="wos",
                    term=term.text,
                )
            )
    return out


FOREIGN = set("{}=?#$")


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
    node: Node, *, path: str | None = None, dbs: Sequence[str] = DATABASES
) -> list[Finding]:
    """Every lint of one tree (a search text as printed: quotes are taken as written)."""
    groups = _or_groups(node)
    terms = iter_terms(node)
    return (
        lint_duplicates(groups, path)
        + lint_subsumed(groups, path)
        + lint_inconsistent(groups, path)
        + lint_concept_copies(groups, path)
        + lint_short_stems(terms, path)
        + lint_foreign_syntax(terms, path)
        + lint_databases(terms, dbs, path)
        + lint_stopword_phrases(terms, dbs, path)
        + lint_quoted_bare(terms, dbs, path, verbatim=True)
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
    blocks: Sequence[tuple[Node, str | None]],
    dbs: Sequence[str],
    declared: Callable[[Term], bool] = lambda term: False,
) -> list[Finding]:
    """Lint the blocks of a strategy together (cross-block rules see all groups)."""
    groups: list[list[Term]] = []
    every: list[Term] = []
    out: list[Finding] = []
    path = next((p for _, p in blocks if p), None)
    for node, where in blocks:
        own = _or_groups(node)
        groups += own
        terms = iter_terms(node)
        every += terms
        out += lint_duplicates(own, where) + lint_subsumed(own, where)
        out += lint_short_stems(terms, where) + lint_foreign_syntax(terms, where)
        out += lint_databases(terms, dbs, where, declared)
        out += lint_stopword_phrases(terms, dbs, where)
    out += lint_inconsistent(groups, path)
    out += lint_concept_copies(groups, path)
    out += lint_quoted_bare(every, dbs, path, verbatim=False)
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
    findings = list(strategy.findings) + lint_strategy_tree(
        trees, dbs or DATABASES, lambda term: strategy.forms(term) is not None
    )
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


#: Findings no ``[lint] accept`` rule can silence: they have a fix in the strategy format.
UNACCEPTABLE = {"unsupported": 'declare the forms in [truncation], e.g. "GP*" = ["GP", "GPs"]'}


def _accept(finding: Finding, strategy: Strategy) -> Finding:
    """Mark a finding the strategy's ``[lint] accept`` list has looked at and kept."""
    if finding.severity == "error" or finding.code in UNACCEPTABLE:
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
