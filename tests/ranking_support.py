"""Helpers for the ranking tests: a small labelled set built from word lists."""

from __future__ import annotations

import random
from pathlib import Path

from rea.config import ReviewPaths
from rea.records import Provenance, Record
from rea.store import open_store
from rea.store.records import add_records
from rea.store.works import create_work, link_record

TOPIC = [
    "nudge clinicians",
    "reminder to physicians",
    "prescribing feedback",
    "default order set",
    "electronic alert",
    "peer comparison",
    "guideline adherence",
    "behaviour change",
    "choice architecture",
    "audit and feedback",
    "active choice",
    "social norms",
    "opt out",
    "decision support",
    "commitment letter",
    "accountable justification",
]
"""Phrases, as a topic shows in real abstracts: their words come in order, so that 2-grams
carry the topic as they do in real text."""
OTHER = [
    "mouse",
    "protein",
    "receptor",
    "tumour",
    "cell",
    "expression",
    "gene",
    "binding",
    "kinase",
    "pathway",
    "mutation",
    "sequencing",
    "assay",
    "plasma",
    "enzyme",
    "cohort",
    "mortality",
    "surgery",
    "imaging",
    "fracture",
]
COMMON = [
    "study",
    "results",
    "patients",
    "trial",
    "effect",
    "significant",
    "outcome",
    "analysis",
    "data",
    "clinical",
    "hospital",
    "care",
    "group",
    "randomised",
    "increase",
    "reduced",
    "methods",
    "conclusion",
]


def labelled_set(n: int = 400, included: int = 20, seed: int = 1) -> tuple[list[str], list[bool]]:
    """``n`` short abstracts; the included ones draw some of their words from TOPIC.

    Every text is mostly common words, so single words do not give the label away: an include
    has about one topic phrase in six draws, an exclude one in forty (some excludes are near
    misses).
    """
    rng = random.Random(seed)
    texts, labels = [], []
    for i in range(n):
        relevant = i < included
        topic_share = 0.17 if relevant else 0.025
        words = []
        for _ in range(60):
            draw = rng.random()
            if draw < topic_share:
                words.extend(rng.choice(TOPIC).split())
            elif draw < topic_share + 0.3:
                words.append(rng.choice(OTHER))
            else:
                words.append(rng.choice(COMMON))
        texts.append(" ".join(words))
        labels.append(relevant)
    order = list(range(n))
    rng.shuffle(order)
    return [texts[i] for i in order], [labels[i] for i in order]


def make_ranked_review(root: Path, texts: list[str], *, order: str = "prioritised") -> ReviewPaths:
    """A review folder whose works (ids 1..n) have ``texts`` as titles, screened by AH and MS
    (every work by both, blind) in ``order``."""
    from tests.screening_support import SCREENING_TOML, review_folder

    toml = SCREENING_TOML.format(share=1.0, maybe="true")
    ranking = f'\n[ranking]\norder = "{order}"\nconsecutive_excludes = 20\n'
    paths = review_folder(root, "ranked-rea", toml + ranking)
    with open_store(paths.store) as store:
        source = Provenance(source="pubmed", stage="all", run_id="run-1")
        records = [Record(provenance=source, title=text, year=2020) for text in texts]
        ids = add_records(store, records)
        with store.transaction() as conn:
            for record_id in ids:
                link_record(conn, record_id, create_work(conn), rule="first")
    return paths
