"""The ranker: text features of every work, a classifier trained on the decisions so far.

Features are computed once for the whole set of works (TF-IDF is unsupervised, so it may look at
the unscreened texts too): word 1–2-grams, each counted once per work however often it occurs
(binary term frequency) and weighted by its inverse document frequency, every word kept, rows
L2-normalised. Training then only fits a linear support vector machine (liblinear, squared
hinge loss, C = 0.11) on the rows with a decision, with the includes weighted up so that
together they weigh 20 times as much as the excludes together. That takes milliseconds at a few
hundred decisions; above 5,000 excludes it fits on every include and a fresh random sample of
5,000 excludes (see ``bench/prioritisation`` for the times and ``docs/ranking.md`` for the
measurements behind each choice). The scores are the classifier's decision values: higher means
more likely to be included.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC

from rea.errors import ReaError


@dataclass(frozen=True)
class ModelSettings:
    """The ranker's knobs; the defaults are the ones documented and benchmarked."""

    word_ngrams: tuple[int, int] = (1, 2)
    binary_tf: bool = True
    """Count a word once per work, however often it occurs (else 1 + log of its count)."""
    c: float = 0.11
    """The support vector machine's C (smaller: more regularised), with the sample weights
    scaled so that they sum to the number of decisions."""
    include_weight_ratio: float = 20.0
    """How many times the includes together outweigh the excludes together in a fit."""
    max_excludes: int = 5_000
    """Above this many excludes, each retrain uses all includes and a sample of this many
    excludes (drawn afresh each time), which keeps a retrain at 20,000 decisions near 0.3 s."""


DEFAULT_SETTINGS = ModelSettings()


class Features:
    """The feature matrix of a fixed list of texts (one row per text, in the given order)."""

    def __init__(self, matrix: sp.csr_matrix) -> None:
        self.matrix = matrix

    @property
    def n(self) -> int:
        return int(self.matrix.shape[0])


def featurize(texts: Sequence[str], settings: ModelSettings = DEFAULT_SETTINGS) -> Features:
    """TF-IDF features of ``texts`` (title, abstract and keywords joined, one string a work)."""
    if not texts:
        return Features(sp.csr_matrix((0, 1), dtype=np.float64))
    vectorizer = TfidfVectorizer(
        ngram_range=settings.word_ngrams,
        binary=settings.binary_tf,
        sublinear_tf=not settings.binary_tf,
        # every word is kept: a word of one text only links no two works, but it still counts in
        # that text's length (its other words weigh less), which ranked better on the labelled sets
        min_df=1,
        max_df=1.0,
        strip_accents="unicode",
    )
    try:
        matrix = vectorizer.fit_transform(texts)
    except ValueError:  # every text empty: no vocabulary, every work scores the same
        matrix = sp.csr_matrix((len(texts), 1), dtype=np.float64)
    return Features(sp.csr_matrix(matrix))


def save_features(features: Features, path: Path) -> None:
    """Write the feature matrix to ``path`` (``.npz``), via a temporary file renamed into place.

    The temporary file has a name of its own (``.features-….partial``), so two sessions opening
    the same review at once each write their own and the last rename wins with the same content.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        dir=path.parent, prefix=".features-", suffix=".partial", delete=False
    ) as handle:
        tmp = Path(handle.name)
        try:
            sp.save_npz(handle, features.matrix)
        except BaseException:
            handle.close()
            tmp.unlink(missing_ok=True)
            raise
    tmp.replace(path)


def load_features(path: Path) -> Features:
    """Read a matrix written by :func:`save_features`."""
    return Features(sp.csr_matrix(sp.load_npz(path)))


def features_key(texts: Sequence[str], settings: ModelSettings = DEFAULT_SETTINGS) -> str:
    """A digest of the texts (in order) and the settings: the name of a cached feature matrix."""
    digest = hashlib.sha256(repr(settings).encode())
    for text in texts:
        digest.update(text.encode("utf-8") + b"\x1e")
    return digest.hexdigest()[:20]


def can_train(labels: Mapping[int, bool]) -> bool:
    """A model needs at least one include and one exclude."""
    values = set(labels.values())
    return True in values and False in values


def train_and_score(
    features: Features,
    labels: Mapping[int, bool],
    settings: ModelSettings = DEFAULT_SETTINGS,
) -> NDArray[np.float64]:
    """Fit on the labelled rows (row index → included?) and score every row.

    Raises :class:`ReaError` when the labels lack an include or an exclude (the queue stays in
    random order until both exist) or name a row that does not exist.
    """
    if not can_train(labels):
        raise ReaError("a ranking needs at least one include and one exclude")
    rows = np.fromiter(labels.keys(), dtype=np.int64, count=len(labels))
    if rows.min() < 0 or rows.max() >= features.n:
        raise ReaError(f"a labelled row is outside the {features.n} works")
    y = np.fromiter((1 if labels[int(r)] else 0 for r in rows), dtype=np.int64, count=len(rows))
    excluded = np.flatnonzero(y == 0)
    if len(excluded) > settings.max_excludes:
        rng = np.random.default_rng(len(rows))  # repeatable for the same number of decisions
        keep = np.concatenate(
            [np.flatnonzero(y == 1), rng.choice(excluded, settings.max_excludes, replace=False)]
        )
        rows, y = rows[keep], y[keep]
    classifier = LinearSVC(C=settings.c, loss="squared_hinge", random_state=0)
    classifier.fit(
        features.matrix[rows], y, sample_weight=sample_weights(y, settings.include_weight_ratio)
    )
    scores: NDArray[np.float64] = classifier.decision_function(features.matrix)
    return scores


def sample_weights(y: NDArray[np.int64], ratio: float) -> NDArray[np.float64]:
    """Weights under which the includes (``y == 1``) together outweigh the excludes together
    ``ratio`` times, scaled to sum to ``len(y)`` (so ``C`` keeps one meaning as decisions grow).

    Includes are rare, often 1–5 % of the works: weighted equally, the excludes would decide the
    fit, and the few includes' words would barely move the ranking.
    """
    includes = int(np.count_nonzero(y == 1))
    excludes = len(y) - includes
    weights = np.where(y == 1, 1.0, includes / (ratio * excludes)).astype(np.float64)
    scaled: NDArray[np.float64] = weights * (len(y) / weights.sum())
    return scaled
