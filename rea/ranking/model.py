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
from dataclasses import dataclass, field, replace
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
    max_df: float = 1.0
    """Drop words found in more than this share of the works (1.0: keep every word)."""
    no_text: str = "model"
    """Where works with neither title nor abstract (an empty feature row) go: ``first`` (before
    every ranked work), ``boundary`` (score 0: after the works the classifier predicts as
    includes, before those it predicts as excludes), or ``model`` (the classifier's intercept,
    as any linear model scores an empty row). With ``first`` and ``boundary`` they are left out of
    each fit: they teach nothing but the intercept."""
    c: float = 0.11
    """The support vector machine's C (smaller: more regularised), with the sample weights
    scaled so that they sum to the number of decisions."""
    include_weight_ratio: float = 20.0
    """How many times the includes together outweigh the excludes together in a fit."""
    adaptive: bool = False
    """Keep two feature sets (binary term frequency with every word and includes weighted 20 : 1;
    sublinear with words in over 95 % of works dropped and 9.8 : 1, ASReview's default) and use
    the one that ranked the held-out includes better in a cross-validation on the decisions so
    far (repeated as the includes grow by half); the second until there are 3 includes."""
    max_excludes: int = 5_000
    """Above this many excludes, each retrain uses all includes and a sample of this many
    excludes (drawn afresh each time), which keeps a retrain at 20,000 decisions near 0.3 s."""


DEFAULT_SETTINGS = ModelSettings()


class Features:
    """The feature matrix of a fixed list of texts (one row per text, in the given order).

    With ``alternative`` (adaptive settings) ``matrix`` is the binary set and ``alternative``
    the sublinear one.
    """

    def __init__(self, matrix: sp.csr_matrix, alternative: sp.csr_matrix | None = None) -> None:
        self.matrix = matrix
        self.alternative = alternative

    @property
    def n(self) -> int:
        return int(self.matrix.shape[0])

    def empty_rows(self) -> NDArray[np.bool_]:
        """Rows without any feature: works with neither title nor abstract."""
        empty: NDArray[np.bool_] = np.diff(self.matrix.indptr) == 0
        return empty


def featurize(texts: Sequence[str], settings: ModelSettings = DEFAULT_SETTINGS) -> Features:
    """TF-IDF features of ``texts`` (title, abstract and keywords joined, one string a work)."""
    if not texts:
        return Features(sp.csr_matrix((0, 1), dtype=np.float64))
    if settings.adaptive:
        first = featurize(texts, replace(settings, adaptive=False, binary_tf=True, max_df=1.0))
        second = featurize(texts, replace(settings, adaptive=False, binary_tf=False, max_df=0.95))
        return Features(first.matrix, second.matrix)
    vectorizer = TfidfVectorizer(
        ngram_range=settings.word_ngrams,
        binary=settings.binary_tf,
        sublinear_tf=not settings.binary_tf,
        # every word is kept: a word of one text only links no two works, but it still counts in
        # that text's length (its other words weigh less), which ranked better on the labelled sets
        min_df=1,
        max_df=settings.max_df,
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
            if features.alternative is not None:
                sp.save_npz(path.with_suffix(".alt.npz"), features.alternative)
        except BaseException:
            handle.close()
            tmp.unlink(missing_ok=True)
            raise
    tmp.replace(path)


def load_features(path: Path) -> Features:
    """Read a matrix written by :func:`save_features`."""
    alt = path.with_suffix(".alt.npz")
    alternative = sp.csr_matrix(sp.load_npz(alt)) if alt.is_file() else None
    return Features(sp.csr_matrix(sp.load_npz(path)), alternative)


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


@dataclass
class ModelState:
    """What an adaptive model remembers between retrains: its choice and when it was made."""

    use_alternative: bool = True
    chosen_at_includes: int = 0
    choices: list[tuple[int, bool]] = field(default_factory=list)


CV_FIRST_AT = 3
"""The adaptive model's first cross-validation, at this many includes (with text)."""
CV_GROWTH = 1.5
"""… and again whenever the includes have grown by half since the last one."""
CV_MAX_EXCLUDES = 2_000


def _fit_scores(
    matrix: sp.csr_matrix,
    rows: NDArray[np.int64],
    y: NDArray[np.int64],
    c: float,
    ratio: float,
    score_rows: NDArray[np.int64] | None = None,
) -> NDArray[np.float64]:
    classifier = LinearSVC(C=c, loss="squared_hinge", random_state=0)
    classifier.fit(matrix[rows], y, sample_weight=sample_weights(y, ratio))
    target = matrix if score_rows is None else matrix[score_rows]
    scores: NDArray[np.float64] = classifier.decision_function(target)
    return scores


def _cv_loss(
    matrix: sp.csr_matrix, rows: NDArray[np.int64], y: NDArray[np.int64], c: float, ratio: float
) -> float:
    """Mean share of held-out excludes scored above each held-out include (lower is better)."""
    rng = np.random.default_rng(len(rows))
    inc = rng.permutation(np.flatnonzero(y == 1))
    exc = rng.permutation(np.flatnonzero(y == 0))[:CV_MAX_EXCLUDES]
    folds = min(5, len(inc))
    losses: list[float] = []
    for k in range(folds):
        test_inc, test_exc = inc[k::folds], exc[k::folds]
        train = np.concatenate([np.delete(inc, np.s_[k::folds]), np.delete(exc, np.s_[k::folds])])
        if len(test_exc) == 0 or not (y[train] == 1).any() or not (y[train] == 0).any():
            continue
        held = np.concatenate([test_inc, test_exc])
        scores = _fit_scores(matrix, rows[train], y[train], c, ratio, rows[held])
        inc_scores, exc_scores = scores[: len(test_inc)], np.sort(scores[len(test_inc) :])
        above = len(exc_scores) - np.searchsorted(exc_scores, inc_scores, side="right")
        losses.extend((above / len(exc_scores)).tolist())
    return float(np.mean(losses)) if losses else 0.0


def _choose(
    features: Features,
    rows: NDArray[np.int64],
    y: NDArray[np.int64],
    settings: ModelSettings,
    state: ModelState,
) -> bool:
    """Whether the adaptive model uses the alternative (sublinear) features now."""
    includes = int(np.count_nonzero(y == 1))
    due = includes >= CV_FIRST_AT and (
        state.chosen_at_includes == 0 or includes >= CV_GROWTH * state.chosen_at_includes
    )
    if due and features.alternative is not None:
        binary = _cv_loss(features.matrix, rows, y, settings.c, settings.include_weight_ratio)
        sublinear = _cv_loss(features.alternative, rows, y, settings.c, ALTERNATIVE_RATIO)
        state.use_alternative = sublinear <= binary
        state.chosen_at_includes = includes
        state.choices.append((includes, state.use_alternative))
    return state.use_alternative


ALTERNATIVE_RATIO = 9.8
"""The include weight of the adaptive model's sublinear features (ASReview's default)."""


def train_and_score(
    features: Features,
    labels: Mapping[int, bool],
    settings: ModelSettings = DEFAULT_SETTINGS,
    state: ModelState | None = None,
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
    empty = features.empty_rows()
    if settings.no_text != "model" and empty.any():
        # a work without text teaches nothing but the intercept: it is left out of the fit
        keep_text = ~empty[rows]
        rows, y = rows[keep_text], y[keep_text]
        if not (y == 1).any() or not (y == 0).any():  # no include (or exclude) with text yet
            flat = np.zeros(features.n, dtype=np.float64)
            flat[empty] = 1.0
            return flat
    excluded = np.flatnonzero(y == 0)
    if len(excluded) > settings.max_excludes:
        rng = np.random.default_rng(len(rows))  # repeatable for the same number of decisions
        keep = np.concatenate(
            [np.flatnonzero(y == 1), rng.choice(excluded, settings.max_excludes, replace=False)]
        )
        rows, y = rows[keep], y[keep]
    matrix, ratio = features.matrix, settings.include_weight_ratio
    adaptive = settings.adaptive and features.alternative is not None
    if adaptive and _choose(features, rows, y, settings, state or ModelState()):
        assert features.alternative is not None
        matrix, ratio = features.alternative, ALTERNATIVE_RATIO
    scores = _fit_scores(matrix, rows, y, settings.c, ratio)
    if settings.no_text == "first" and empty.any():
        scores[empty] = scores[~empty].max(initial=0.0) + 1.0
    elif settings.no_text == "boundary":
        scores[empty] = 0.0
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
