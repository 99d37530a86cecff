"""Grouping records into works: blocking, pair verdicts, constrained union, evidence per link.

``deduplicate`` is pure: records (with their store ids) and earlier state in, clusters and a
review queue out. Earlier state is respected: records already grouped into a work stay together
(``existing``), human merges are applied first, human separations are never undone, and two
existing works are never joined automatically (such a pair is queued for a human instead).
"""

from __future__ import annotations

import gc
from array import array
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from rea.dedup.compare import DISTINCT, MERGE, REVIEW, TITLE_LOOSE, Verdict, compare
from rea.dedup.normalize import Prepared, Shared, prepare, record_completeness
from rea.records import Record

BLOCK_LIMIT = 40  # above this size a block is compared by sorted neighbourhood only
WINDOW = 10  # neighbours compared in an oversized block
KEY_CHARS = 20  # characters of the compact title in the first and last title keys
CONTAINER_TITLE = 0.7  # records sharing a DOI with titles this far apart: the DOI is a container

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Link:
    """How a record joined its cluster: the rule, its scores and the record it matched."""

    record_id: int
    rule: str
    scores: dict[str, float] = field(default_factory=dict)
    matched_to: int | None = None


@dataclass(frozen=True)
class Cluster:
    record_ids: tuple[int, ...]
    links: tuple[Link, ...]  # one per record; the first record's rule is "first"
    work_ids: tuple[int, ...]  # existing works the cluster contains (0, 1, or more if merged)
    kept: int  # the record to keep when exporting one row per work


@dataclass(frozen=True)
class QueuedPair:
    record_a: int
    record_b: int
    scores: dict[str, float]
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class RelatedPair:
    """Two records of different items about one article: a notice (erratum, retraction,
    expression of concern) or a reply, and the article it is about. Kept apart, shown together."""

    record_a: int
    record_b: int
    relation: str  # "erratum vs article", "comment vs article", …


@dataclass(frozen=True)
class DedupResult:
    clusters: tuple[Cluster, ...]
    queue: tuple[QueuedPair, ...]
    containers: frozenset[str]
    pairs_compared: int
    related: tuple[RelatedPair, ...] = ()


def block_keys(p: Prepared) -> list[str]:
    """Several independent keys, so one damaged field never hides a duplicate."""
    keys: list[str] = []
    if p.pmid:
        keys.append("p" + p.pmid)
    if p.doi:
        keys.append("d" + p.doi)
    if len(p.title) >= 12:
        keys.append("b" + p.title[:KEY_CHARS])
        keys.append("e" + p.title[-KEY_CHARS:])
        if p.main:
            keys.append("e" + p.main[-KEY_CHARS:])
    elif p.title:
        keys.append("t" + p.title)
    first_author = p.surnames[0] if p.surnames else ""
    if first_author:
        for y in p.years:
            keys.append(f"a{first_author}|{y}")
    if p.volume and p.page_first is not None:
        keys.append(f"v{p.volume}|{p.page_first}")
    if first_author and p.page_first is not None:
        keys.append(f"f{first_author}|{p.page_first}")
    return keys


def _candidate_pairs(prepared: list[Prepared]) -> Iterator[tuple[int, int]]:
    """Index pairs (i < j) that share a block key, each once; big blocks by sorted neighbourhood.

    Pairs are packed as ``i * n + j`` in a typed array and made unique with numpy, so that a
    million records need tens of megabytes for them rather than gigabytes of tuples.
    """
    import numpy as np

    n = len(prepared)
    blocks: dict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(prepared):
        for key in block_keys(p):
            blocks[key].append(i)
    codes = array("q")
    for key, members in blocks.items():
        size = len(members)
        if size < 2:
            continue
        if size <= BLOCK_LIMIT:
            for x in range(size):
                i = members[x]
                for y in range(x + 1, size):
                    j = members[y]
                    codes.append(i * n + j if i < j else j * n + i)
            continue
        if key.startswith("e"):  # titles sharing an ending: neighbours by the ending
            ordered = sorted(members, key=lambda k: prepared[k].title[::-1])
        else:
            ordered = sorted(members, key=lambda k: prepared[k].title)
        for x in range(size):
            i = ordered[x]
            for y in range(x + 1, min(size, x + 1 + WINDOW)):
                j = ordered[y]
                codes.append(i * n + j if i < j else j * n + i)
    del blocks
    unique = np.unique(np.frombuffer(codes, dtype=np.int64)) if codes else np.empty(0, np.int64)
    del codes
    for start in range(0, len(unique), 65536):
        for code in unique[start : start + 65536].tolist():
            yield divmod(code, n)


def container_dois(prepared: list[Prepared]) -> frozenset[str]:
    """DOIs shared by records with clearly different titles (e.g. an abstract supplement)."""
    from rapidfuzz.distance import Indel

    by_doi: dict[str, list[Prepared]] = defaultdict(list)
    for p in prepared:
        if p.doi:
            by_doi[p.doi].append(p)
    found = set()
    for doi, members in by_doi.items():
        titles = list(dict.fromkeys(m.title for m in members if m.title))
        if len(titles) < 2:
            continue
        first = titles[0]
        if any(Indel.normalized_similarity(first, t) < CONTAINER_TITLE for t in titles[1:]):
            found.add(doi)
        elif len(titles) > 2:
            for x in range(1, len(titles)):
                for y in range(x + 1, len(titles)):
                    if Indel.normalized_similarity(titles[x], titles[y]) < CONTAINER_TITLE:
                        found.add(doi)
    return frozenset(found)


class _Components:
    """Union-find with cannot-link constraints and the identifiers each component holds."""

    def __init__(self, prepared: list[Prepared], containers: frozenset[str]) -> None:
        n = len(prepared)
        self.parent = list(range(n))
        self.members: list[list[int]] = [[i] for i in range(n)]
        self.dois: list[set[str]] = [
            {p.doi} if p.doi and p.doi not in containers else set() for p in prepared
        ]
        self.pmids: list[set[str]] = [{p.pmid} if p.pmid else set() for p in prepared]
        self.works: list[set[int]] = [set() for _ in range(n)]
        self.apart: list[set[int]] = [set() for _ in range(n)]  # cannot-link record indexes
        self.human_apart: list[set[int]] = [set() for _ in range(n)]  # kept apart by a human

    def find(self, i: int) -> int:
        root = i
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[i] != root:
            self.parent[i], i = root, self.parent[i]
        return root

    def blocked(self, ra: int, rb: int) -> str:
        """Why two components may not be joined automatically ("" when they may)."""
        if self.works[ra] and self.works[rb] and self.works[ra] != self.works[rb]:
            return "would join two existing works"
        if self.dois[ra] and self.dois[rb] and not self.dois[ra] & self.dois[rb]:
            return "different DOIs in the two groups"
        if self.pmids[ra] and self.pmids[rb] and not self.pmids[ra] & self.pmids[rb]:
            return "different PMIDs in the two groups"
        small, other = (ra, rb) if len(self.apart[ra]) <= len(self.apart[rb]) else (rb, ra)
        for k in self.apart[small]:
            if self.find(k) == other:
                return "kept apart"
        return ""

    def apart_roots(self, ra: int, rb: int) -> bool:
        """Whether a human decision keeps the two components apart."""
        return any(self.find(k) == rb for k in self.human_apart[ra]) or any(
            self.find(k) == ra for k in self.human_apart[rb]
        )

    def union(self, ra: int, rb: int) -> int:
        if len(self.members[ra]) < len(self.members[rb]):
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.members[ra].extend(self.members[rb])
        self.members[rb] = []
        self.dois[ra] |= self.dois[rb]
        self.pmids[ra] |= self.pmids[rb]
        self.works[ra] |= self.works[rb]
        self.apart[ra] |= self.apart[rb]
        self.human_apart[ra] |= self.human_apart[rb]
        return ra


def _pair(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def deduplicate(
    records: Iterable[tuple[int, Record]],
    *,
    existing: Mapping[int, int] | None = None,
    merges: Iterable[tuple[int, int]] = (),
    separations: Iterable[tuple[int, int]] = (),
    progress: Progress | None = None,
) -> DedupResult:
    """Group records into clusters of the same report.

    ``existing`` maps record id → work id for records grouped by an earlier run (they stay
    together); ``merges`` and ``separations`` are human decisions on record-id pairs.
    """
    # many small objects and no cycles: the cyclic collector would only rescan them over and over
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _deduplicate(records, existing, merges, separations, progress)
    finally:
        if collecting:
            gc.enable()


def _deduplicate(
    records: Iterable[tuple[int, Record]],
    existing_links: Mapping[int, int] | None,
    merges: Iterable[tuple[int, int]],
    separations: Iterable[tuple[int, int]],
    progress: Progress | None,
) -> DedupResult:
    existing = dict(existing_links or {})
    shared: Shared = {}
    prepared = [prepare(rid, rec, shared) for rid, rec in records]
    del shared
    if progress:
        progress("prepared", len(prepared), len(prepared))
    index = {p.record_id: i for i, p in enumerate(prepared)}
    containers = container_dois(prepared)
    comps = _Components(prepared, containers)
    tree: dict[int, list[tuple[int, str, dict[str, float]]]] = defaultdict(list)

    def join(i: int, j: int, rule: str, scores: dict[str, float]) -> None:
        comps.union(comps.find(i), comps.find(j))
        tree[i].append((j, rule, scores))
        tree[j].append((i, rule, scores))

    # 1. earlier works stay whole
    by_work: dict[int, list[int]] = defaultdict(list)
    for rid, wid in existing.items():
        if rid in index:
            by_work[wid].append(index[rid])
    for wid, members in by_work.items():
        for i in members:
            comps.works[comps.find(i)].add(wid)
        for i in members[1:]:
            if comps.find(i) != comps.find(members[0]):
                join(members[0], i, "existing", {})

    # 2. human decisions
    decided: set[tuple[int, int]] = set()
    for a, b in separations:
        if a in index and b in index:
            i, j = index[a], index[b]
            for x, y in ((i, j), (j, i)):
                comps.apart[comps.find(x)].add(y)
                comps.human_apart[comps.find(x)].add(y)
            decided.add(_pair(a, b))
    for a, b in merges:
        if a in index and b in index:
            decided.add(_pair(a, b))
            if comps.find(index[a]) != comps.find(index[b]):
                join(index[a], index[b], "human", {})

    # 3. candidate pairs, verdicts
    edges: list[tuple[float, int, int, Verdict]] = []
    review: dict[tuple[int, int], Verdict] = {}
    related: list[RelatedPair] = []
    compared = 0
    for i, j in _candidate_pairs(prepared):
        compared += 1
        verdict = compare(prepared[i], prepared[j], containers)
        if verdict.decision == MERGE:
            edges.append((verdict.strength, i, j, verdict))
        elif verdict.decision == REVIEW:
            review[(i, j)] = verdict
        elif verdict.rule in ("veto", "related"):
            if verdict.rule == "related":
                a, b = _pair(prepared[i].record_id, prepared[j].record_id)
                first = prepared[i] if prepared[i].record_id == a else prepared[j]
                second = prepared[j] if first is prepared[i] else prepared[i]
                related.append(RelatedPair(a, b, f"{first.kind} vs {second.kind}"))
            # a veto holds for the whole group, not just this pair
            comps.apart[comps.find(i)].add(j)
            comps.apart[comps.find(j)].add(i)
    if progress:
        progress("compared", compared, compared)
    edges.sort(key=lambda e: (-e[0], e[1], e[2]))

    # 4. constrained union, strongest evidence first
    for _, i, j, verdict in edges:
        pair = _pair(prepared[i].record_id, prepared[j].record_id)
        if pair in decided:
            continue
        ri, rj = comps.find(i), comps.find(j)
        if ri == rj:
            continue
        why = comps.blocked(ri, rj)
        if why:
            review[(i, j)] = Verdict(REVIEW, verdict.rule, verdict.scores, (why,), 0.0)
            continue
        join(i, j, verdict.rule, verdict.scores)

    # 5. the queue: uncertain pairs still in different clusters, not decided by a human; one
    #    pair (the most similar) per pair of clusters, since one decision settles both
    best: dict[tuple[int, int], tuple[float, QueuedPair]] = {}
    for (i, j), verdict in review.items():
        a, b = prepared[i].record_id, prepared[j].record_id
        ri, rj = comps.find(i), comps.find(j)
        if _pair(a, b) in decided or ri == rj:
            continue
        if verdict.scores.get("title", 0.0) < TITLE_LOOSE and verdict.rule == "fuzzy":
            continue
        if comps.apart_roots(ri, rj):
            continue  # a human already kept these groups apart
        lo, hi = _pair(a, b)
        rank = verdict.scores.get("title", 0.0) + 0.1 * verdict.scores.get("agree", 0.0)
        key = _pair(ri, rj)
        if key not in best or rank > best[key][0]:
            best[key] = (rank, QueuedPair(lo, hi, verdict.scores, verdict.reasons))
    queue = sorted((q for _, q in best.values()), key=lambda q: (q.record_a, q.record_b))

    clusters = _clusters(prepared, comps, tree, existing)
    return DedupResult(
        clusters=clusters,
        queue=tuple(queue),
        containers=containers,
        pairs_compared=compared,
        related=tuple(sorted(related, key=lambda r: (r.record_a, r.record_b))),
    )


def kept_record(records: Sequence[tuple[int, Record]]) -> int:
    """The record to keep for a work: the most complete, then the oldest."""
    return min(records, key=lambda r: (-record_completeness(r[1]), r[0]))[0]


def _clusters(
    prepared: list[Prepared],
    comps: _Components,
    tree: Mapping[int, list[tuple[int, str, dict[str, float]]]],
    existing: Mapping[int, int],
) -> tuple[Cluster, ...]:
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(len(prepared)):
        groups[comps.find(i)].append(i)
    clusters = []
    for members in groups.values():
        # the anchor: a record already in a work, else the most complete, then the oldest id
        anchor = min(
            members,
            key=lambda k: (
                prepared[k].record_id not in existing,
                -prepared[k].completeness,
                prepared[k].record_id,
            ),
        )
        links = {anchor: Link(prepared[anchor].record_id, "first")}
        todo = [anchor]
        while todo:
            current = todo.pop()
            for other, rule, scores in tree.get(current, ()):
                if other not in links:
                    links[other] = Link(
                        prepared[other].record_id, rule, scores, prepared[current].record_id
                    )
                    todo.append(other)
        ordered = sorted(members, key=lambda k: prepared[k].record_id)
        work_ids = sorted(
            {existing[prepared[k].record_id] for k in members if prepared[k].record_id in existing}
        )
        clusters.append(
            Cluster(
                record_ids=tuple(prepared[k].record_id for k in ordered),
                links=tuple(links[k] for k in ordered),
                work_ids=tuple(work_ids),
                kept=prepared[anchor].record_id,
            )
        )
    clusters.sort(key=lambda c: c.record_ids[0])
    return tuple(clusters)


__all__ = [
    "DISTINCT",
    "MERGE",
    "REVIEW",
    "Cluster",
    "DedupResult",
    "Link",
    "QueuedPair",
    "RelatedPair",
    "deduplicate",
    "kept_record",
]
