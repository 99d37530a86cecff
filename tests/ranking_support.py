"""Helpers for the ranking tests: a small labelled set built from word lists."""

from __future__ import annotations

import random

TOPIC = [
    "nudge",
    "reminder",
    "prescribing",
    "clinicians",
    "physicians",
    "default",
    "order",
    "set",
    "alert",
    "feedback",
    "guideline",
    "adherence",
    "behaviour",
    "change",
    "choice",
    "architecture",
]
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
    has about one topic word in six, an exclude one in forty (some excludes are near misses).
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
                words.append(rng.choice(TOPIC))
            elif draw < topic_share + 0.3:
                words.append(rng.choice(OTHER))
            else:
                words.append(rng.choice(COMMON))
        texts.append(" ".join(words))
        labels.append(relevant)
    order = list(range(n))
    rng.shuffle(order)
    return [texts[i] for i in order], [labels[i] for i in order]
