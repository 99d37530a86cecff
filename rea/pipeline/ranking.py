"""Prioritised screening in a review: the ranked queue, stopping figures, recorded stops, and
the works excluded by automation (for PRISMA).

Settings live in the ``[ranking]`` table of the review's ``screening.toml``::

    [ranking]
    order = "prioritised"        # random | prioritised | mixed (absent: screening's id order)
    random_share = 0.1           # mixed: share of works picked at random
    recall_target = 0.95         # the statistical stopping rule's target …
    confidence = 0.95            # … and confidence
    consecutive_excludes = 100   # the run of excludes (default: 5 % of the works, at least 50)

Blinding: a reviewer's queue learns from the phase's final decisions (agreed or resolved) and
from that reviewer's own decisions, never from another reviewer's unreconciled ones.
"""

from __future__ import annotations

import threading
import tomllib
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rea.config import ReviewPaths
from rea.errors import ConfigError, Location, ReaError, ScreeningError
from rea.ranking.order import DEFAULT_RANDOM_SHARE, Order, next_works, retrain_due
from rea.ranking.stopping import (
    DEFAULT_CONFIDENCE,
    DEFAULT_RECALL_TARGET,
    StoppingReport,
    Verdict,
    assess,
)
from rea.screening import (
    Decision,
    Phase,
    QueueOrder,
    Recorded,
    ScreeningConfig,
    ScreeningSession,
    Status,
    final_decisions,
    load_screening_config,
)
from rea.store import Store, open_store
from rea.store import ranking as rdb
from rea.store import screening as sdb

if TYPE_CHECKING:
    from rea.ranking.model import Features

STOP_RULES = ("statistical", "knee", "consecutive", "judgement")
CACHE_FOLDER = "ranking"
"""The review folder's subfolder for the ranker's cached features (safe to delete)."""


@dataclass(frozen=True)
class RankingSettings:
    order: Order | None = None  # None: screening's own (work id) order
    random_share: float = DEFAULT_RANDOM_SHARE
    recall_target: float = DEFAULT_RECALL_TARGET
    confidence: float = DEFAULT_CONFIDENCE
    consecutive_excludes: int | None = None


def load_ranking_settings(path: Path) -> RankingSettings:
    """The ``[ranking]`` table of ``screening.toml`` (defaults when absent)."""
    if not path.is_file():
        return RankingSettings()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8")).get("ranking", {})
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", where=str(path)) from exc
    if not isinstance(data, dict):
        raise ConfigError(
            "ranking must be a table [ranking]", where=Location(path, field="ranking")
        )
    known = {"order", "random_share", "recall_target", "confidence", "consecutive_excludes"}
    for key in data:
        if key not in known:
            raise ConfigError(
                f"unknown setting {key!r}",
                where=Location(path, field=f"ranking.{key}"),
                hint="known here: " + ", ".join(sorted(known)),
            )

    def share(key: str, default: float, low_open: bool) -> float:
        value: Any = data.get(key, default)
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if not ok or not (0 < value < 1 if low_open else 0 <= value <= 1):
            raise ConfigError(
                f"{key} must be a number between 0 and 1, not {value!r}",
                where=Location(path, field=f"ranking.{key}"),
            )
        return float(value)

    order = None
    if "order" in data:
        if not isinstance(data["order"], str):
            raise ConfigError("order must be a string", where=Location(path, field="ranking.order"))
        try:
            order = Order.parse(data["order"])
        except ReaError as exc:
            raise ConfigError(
                f"unknown queue order {data['order']!r}",
                where=Location(path, field="ranking.order"),
                hint="use one of: random, prioritised, mixed",
            ) from exc
    run = data.get("consecutive_excludes")
    if run is not None and (isinstance(run, bool) or not isinstance(run, int) or run < 1):
        raise ConfigError(
            f"consecutive_excludes must be a whole number above 0, not {run!r}",
            where=Location(path, field="ranking.consecutive_excludes"),
        )
    return RankingSettings(
        order=order,
        random_share=share("random_share", DEFAULT_RANDOM_SHARE, False),
        recall_target=share("recall_target", DEFAULT_RECALL_TARGET, True),
        confidence=share("confidence", DEFAULT_CONFIDENCE, True),
        consecutive_excludes=run,
    )


# --- what a reviewer's queue may learn from ---------------------------------------------------


def reviewer_labels(
    store: Store, config: ScreeningConfig, phase: Phase, reviewer: str
) -> dict[int, bool]:
    """Work → included?, from the phase's final decisions and ``reviewer``'s own decisions.

    Another reviewer's decision counts only once it is final (agreed or resolved), so the order
    of a blind reviewer's queue never reveals an unreconciled decision.
    """
    labels: dict[int, bool] = {}
    for (work, who), (decision, _reason) in sdb.standing_decisions(store, phase.value).items():
        if who == reviewer:
            labels[work] = config.counts_as_include(Decision(decision))
    for final in final_decisions(store, config, phase):
        if final.status is Status.INCLUDED:
            labels[final.work_id] = True
        elif final.status is Status.EXCLUDED:
            labels[final.work_id] = False
    return labels


# --- the ranked session ------------------------------------------------------------------------


class BackgroundRanker:
    """Keeps scores for a fixed set of works fresh on a thread, so that nobody waits for them.

    Features are computed once (on the thread); each time the decisions grow past the schedule
    of :func:`rea.ranking.order.retrain_due` the model is refitted and the new scores published.
    """

    def __init__(
        self, texts: dict[int, str], labels: dict[int, bool], cache_dir: Path | None = None
    ) -> None:
        self._cache_dir = cache_dir
        self._works = sorted(texts)
        self._texts = [texts[w] for w in self._works]
        self._labels = dict(labels)
        self._lock = threading.Condition()
        self._scores: dict[int, float] | None = None
        self._trained_on: int | None = None
        self._version = 0
        self._closed = False
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="rea-ranker", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def set_label(self, work: int, included: bool | None) -> None:
        with self._lock:
            if included is None:
                self._labels.pop(work, None)
            else:
                self._labels[work] = included
            self._lock.notify()

    def latest(self) -> tuple[int, dict[int, float] | None]:
        """(version, scores): the version grows with every new model."""
        with self._lock:
            return self._version, self._scores

    def wait_for_model(self, timeout: float) -> bool:
        """Block until a model exists (tests, and the first screen of a small review)."""
        with self._lock:
            return self._lock.wait_for(
                lambda: self._scores is not None or self.error is not None or self._closed,
                timeout,
            )

    def wait_until_current(self, timeout: float) -> bool:
        """Block until the model is as fresh as the schedule asks (tests, benchmarks)."""
        with self._lock:
            return self._lock.wait_for(
                lambda: not self._due() or self.error is not None or self._closed, timeout
            )

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._lock.notify_all()

    def _due(self) -> bool:
        values = set(self._labels.values())
        return (
            True in values and False in values and retrain_due(len(self._labels), self._trained_on)
        )

    def _features(self) -> Features:
        """The works' features, from the review's cache when the same works were ranked before."""
        from rea.ranking.model import features_key, featurize, load_features, save_features

        if self._cache_dir is None:
            return featurize(self._texts)
        key = features_key([f"{w}\x1f{t}" for w, t in zip(self._works, self._texts, strict=True)])
        path = self._cache_dir / f"features-{key}.npz"
        try:
            return load_features(path)
        except FileNotFoundError:  # not cached yet (or removed meanwhile by another session)
            pass
        features = featurize(self._texts)
        save_features(features, path)
        for old in self._cache_dir.glob("features-*.npz"):
            if old != path:
                old.unlink(missing_ok=True)
        return features

    def _run(self) -> None:
        from rea.ranking.model import train_and_score

        try:
            features = self._features()
            row = {w: i for i, w in enumerate(self._works)}
            while True:
                with self._lock:
                    self._lock.wait_for(lambda: self._closed or self._due())
                    if self._closed:
                        return
                    snapshot = {row[w]: v for w, v in self._labels.items() if w in row}
                    count = len(self._labels)
                values = train_and_score(features, snapshot)
                scores = {w: float(values[i]) for i, w in enumerate(self._works)}
                with self._lock:
                    self._scores, self._trained_on = scores, count
                    self._version += 1
                    self._lock.notify_all()
        except BaseException as exc:  # raised again by RankedSession.refresh on its thread
            with self._lock:
                self.error = exc
                self._lock.notify_all()


class RankedSession(ScreeningSession):
    """A screening session whose queue is reordered whenever the ranker has a newer model.

    Until the first model exists (an include and an exclude), the queue is random. Reordering
    happens right after a decision is stored, with scores that are already computed, so the next
    work shows at once.
    """

    def __init__(
        self,
        store: Store,
        config: ScreeningConfig,
        phase: Phase,
        reviewer: str,
        settings: RankingSettings,
        ranker: BackgroundRanker,
    ) -> None:
        self.settings = settings
        self.ranker = ranker
        self._seed = zlib.crc32(f"{phase.value}:{reviewer}".encode())
        self._version = 0
        super().__init__(store, config, phase, reviewer, self._order(None))

    def _order(self, scores: dict[int, float] | None) -> QueueOrder:
        order = self.settings.order or Order.PRIORITISED
        if scores is None:
            order = Order.RANDOM
        seed, share = self._seed, self.settings.random_share

        def arrange(work_ids: Sequence[int]) -> list[int]:
            picks = next_works(
                list(work_ids),
                scores,
                order,
                seed=seed,
                step=len(work_ids),
                limit=len(work_ids),
                random_share=share,
            )
            return [p.key for p in picks]

        return QueueOrder(order.value, arrange)

    def refresh(self) -> bool:
        """Reorder the queue if a newer model is ready; returns whether it did.

        A failure on the ranker's thread is raised here, on the session's thread (every decision
        is stored already, so nothing is lost).
        """
        if self.ranker.error is not None:
            raise RuntimeError("the ranking model failed") from self.ranker.error
        version, scores = self.ranker.latest()
        if version == self._version or scores is None:
            return False
        self._version = version
        self.reorder(self._order(scores))
        return True

    def decide(self, decision: Decision, reason: str = "") -> Recorded:
        work = self._require_current()
        result = super().decide(decision, reason)
        self.ranker.set_label(work.work_id, self.config.counts_as_include(decision))
        self.refresh()
        return result

    def undo(self, *, work_id: int | None = None, withdraw_later: bool = False) -> Recorded:
        result = super().undo(work_id=work_id, withdraw_later=withdraw_later)
        if self.current is not None:
            self.ranker.set_label(self.current.work_id, None)
        return result


def open_ranked_session(
    store: Store, config: ScreeningConfig, phase: Phase, reviewer: str, settings: RankingSettings
) -> ScreeningSession:
    """A session in the review's order: screening's own when ``[ranking] order`` is unset."""
    if settings.order is None:
        return ScreeningSession(store, config, phase, reviewer)
    config.screener(reviewer, phase)
    members = {f.work_id for f in final_decisions(store, config, phase)}
    texts = rdb.work_texts(store, members)
    cache = store.path.parent / CACHE_FOLDER
    ranker = BackgroundRanker(texts, reviewer_labels(store, config, phase, reviewer), cache)
    if settings.order is not Order.RANDOM:
        ranker.start()
    return RankedSession(store, config, phase, reviewer, settings, ranker)


# --- stopping ----------------------------------------------------------------------------------


def screening_history(
    store: Store, config: ScreeningConfig, phase: Phase
) -> tuple[list[bool], int]:
    """The phase's works in the order they were first decided (True: included), and the number
    of works in the phase. A work's label is its final status, else its first decision."""
    finals = {f.work_id: f.status for f in final_decisions(store, config, phase)}
    standing = sdb.standing_decisions(store, phase.value)
    first: dict[int, bool] = {}
    for work, who, decision in rdb.decisions_in_order(store, phase.value):
        if work in first or work not in finals or (work, who) not in standing:
            continue
        if decision == "undo":
            continue
        status = finals[work]
        if status is Status.INCLUDED:
            first[work] = True
        elif status is Status.EXCLUDED:
            first[work] = False
        else:
            first[work] = config.counts_as_include(Decision(decision))
    return list(first.values()), len(finals)


@dataclass(frozen=True)
class PhaseStopping:
    phase: Phase
    report: StoppingReport
    stopped_by: str = ""
    stopped_rule: str = ""
    stopped_at: str = ""
    unscreened_at_stop: int = 0


def _stopping(
    store: Store, config: ScreeningConfig, phase: Phase, s: RankingSettings
) -> PhaseStopping:
    decisions, works = screening_history(store, config, phase)
    report = assess(
        decisions,
        works,
        recall_target=s.recall_target,
        confidence=s.confidence,
        run_length=s.consecutive_excludes,
    )
    stop = rdb.current_stop(store, phase.value)
    if stop is None:
        return PhaseStopping(phase, report)
    return PhaseStopping(
        phase,
        report,
        stop.decided_by,
        stop.rule,
        stop.decided_at,
        len(rdb.unscreened_at_stop(store, stop.stop_id)),
    )


def stopping_stats(paths: ReviewPaths) -> list[PhaseStopping]:
    """For ``rea screen stats``: relevant works left and each rule's verdict, per phase."""
    config = load_screening_config(paths.screening)
    settings = load_ranking_settings(paths.screening)
    with open_store(paths.store, create=False) as store:
        return [_stopping(store, config, phase, settings) for phase in Phase]


def record_stop(
    paths: ReviewPaths,
    *,
    phase: Phase,
    by: str,
    rule: str,
    note: str = "",
    withdraw: bool = False,
) -> PhaseStopping:
    """Record the decision to stop screening ``phase`` (or withdraw it), with the figures then.

    The works without any decision in the phase at that moment are stored with the stop: they
    are the records excluded by automation in the PRISMA counts.
    """
    if rule not in STOP_RULES:
        raise ScreeningError(
            f"unknown stopping rule {rule!r}", hint="use: " + ", ".join(STOP_RULES)
        )
    config = load_screening_config(paths.screening)
    config.reviewer(by)
    settings = load_ranking_settings(paths.screening)
    with open_store(paths.store, create=False) as store:
        current = _stopping(store, config, phase, settings)
        report = current.report
        if withdraw and rdb.current_stop(store, phase.value) is None:
            raise ScreeningError(f"{phase.value} is not stopped: nothing to withdraw")
        if not withdraw and report.included == 0:
            raise ScreeningError(
                f"no include yet at {phase.value}: stopping now would exclude every work unseen",
            )
        verdict = {
            "statistical": report.statistical.verdict,
            "consecutive": report.consecutive.verdict,
            "knee": report.knee.verdict if report.knee is not None else Verdict.CONTINUE,
            "judgement": Verdict.STOP,
        }[rule]
        members = {f.work_id for f in final_decisions(store, config, phase)}
        unscreened = members - rdb.decided_work_ids_in_phase(store, phase.value)
        with store.transaction() as conn:
            rdb.insert_stop(
                conn,
                phase=phase.value,
                decided_by=by,
                rule=rule,
                note=note,
                withdrawn=withdraw,
                figures={
                    "works": report.works,
                    "screened": report.screened,
                    "included": report.included,
                    "estimated_left": report.estimated_relevant_left,
                    "upper_left": report.relevant_left_upper,
                    "recall_target": report.recall_target,
                    "confidence": report.confidence,
                    "p_value": report.p_value,
                    "verdict": verdict.value,
                },
                unscreened=() if withdraw else unscreened,
            )
        return _stopping(store, config, phase, settings)


# --- PRISMA ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AutomationExclusions:
    """Works never screened in a phase because screening was stopped by a recorded rule.

    PRISMA 2020 counts them under "records excluded … by automation tools"; ``work_ids`` are the
    works still without any decision now (a work screened after the stop counts as screened).
    """

    phase: Phase
    stopped: bool
    work_ids: tuple[int, ...]
    rule: str = ""
    decided_by: str = ""
    decided_at: str = ""

    @property
    def count(self) -> int:
        return len(self.work_ids)


def automation_exclusions(
    store: Store, phase: Phase = Phase.TITLE_ABSTRACT
) -> AutomationExclusions:
    """For the PRISMA counts: the works excluded by automation (the stop's unscreened works)."""
    stop = rdb.current_stop(store, phase.value)
    if stop is None:
        return AutomationExclusions(phase, False, ())
    decided = rdb.decided_work_ids_in_phase(store, phase.value)
    left = tuple(w for w in rdb.unscreened_at_stop(store, stop.stop_id) if w not in decided)
    return AutomationExclusions(phase, True, left, stop.rule, stop.decided_by, stop.decided_at)
