"""Prioritised screening on every labelled set: rea against ASReview's default, stopping rules,
and the time of a retrain.

Replays each labelled set and label column of ``../shared/data/screening/`` through the queue
``rea screen`` uses (``rea.ranking.simulation``), from 1 known include + 1 known exclude drawn by
each seed, prior records left out of the metrics, once with rea's model and once with a reference
rebuilt in the same run from ASReview LAB 2's published default model (ELAS u4: TF-IDF of title
and abstract, word 1–2-grams, sublinear term frequency, words in over 95 % of records dropped;
linear SVM, C = 0.11, squared hinge; includes weighted 9.8 : 1; the highest score first). Prints
WSS@95, RRF@10 and ATD side by side per set and label column with the median and the worst
difference; then every stopping rule replayed on rea's orders (recall at the stop, share
screened at the stop, and the share at which the target recall was actually reached); then one
retrain at 2,000 and 20,000 records.

    python bench/prioritisation/run.py [--seeds 10] [--sets Cohen] [--cache /tmp/rea-rank-cache]

``--cache DIR`` keeps feature matrices and finished runs on disk (outside the repository), so a
second run with other settings does not featurise or replay again.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))


from rea.pipeline.simulate import read_labelled_csv  # noqa: E402
from rea.ranking import stopping  # noqa: E402
from rea.ranking.metrics import Metrics  # noqa: E402
from rea.ranking.model import (  # noqa: E402
    DEFAULT_SETTINGS,
    Features,
    ModelSettings,
    features_key,
    featurize,
    load_features,
    save_features,
    train_and_score,
)
from rea.ranking.simulation import simulate  # noqa: E402


def _data_folder() -> Path:
    """The sets live beside the repository (beside its main checkout, for a git worktree);
    REA_BENCH_SCREENING_DATA points elsewhere."""
    if "REA_BENCH_SCREENING_DATA" in os.environ:
        return Path(os.environ["REA_BENCH_SCREENING_DATA"])
    root = REPO
    git = REPO / ".git"
    if git.is_file():  # a worktree: "gitdir: <main>/.git/worktrees/<name>"
        text = git.read_text(encoding="utf-8").strip()
        if text.startswith("gitdir:"):
            root = Path(text.split(":", 1)[1].strip()).parents[2]
    return root.parent / "shared" / "data" / "screening"


DATA = _data_folder()

COHEN = (
    "Antihistamines",
    "AtypicalAntipsychotics",
    "Estrogens",
    "NSAIDS",
    "OralHypoglycemics",
    "SkeletalMuscleRelaxants",
    "Triptans",
    "UrinaryIncontinence",
)
# (file, label column or None for the reader's default, name shown)
SETS: list[tuple[str, str | None, str]] = [
    ("ferdinands2020_sim_nudging.csv", None, "nudging"),
    ("ferdinands2020_sim_ace.csv", None, "ACE"),
    ("synergy_v1_Nagtegaal_2019.csv", "label_included", "Nagtegaal final"),
    ("synergy_v1_Nagtegaal_2019.csv", "label_abstract_screening", "Nagtegaal T/A"),
] + [
    (f"synergy_v1_Cohen_2006_{topic}.csv", column, f"{topic[:14]} {short}")
    for topic in COHEN
    for column, short in (("label_included", "final"), ("label_abstract_screening", "T/A"))
]

ELAS_U4 = ModelSettings(
    binary_tf=False, max_df=0.95, c=0.11, include_weight_ratio=9.8, no_text="model"
)
"""ASReview LAB 2's default model (ELAS u4), rebuilt from its published settings."""

VARIANTS: dict[str, ModelSettings] = {"rea": DEFAULT_SETTINGS, "ELAS u4": ELAS_U4}


@dataclass(frozen=True)
class Run:
    """One replay, kept small: the metrics and the labels in screening order."""

    seed: int
    metrics: Metrics
    prior_labels: tuple[bool, ...]
    found_at: tuple[int, ...]
    """1-based positions (after the prior records) at which each relevant record was screened."""
    n_pool: int
    retrains: int
    train_seconds: float

    def decisions(self) -> list[bool]:
        """The prior labels, then every record of the pool in screening order (after the last
        relevant record only excludes are left, whatever the order)."""
        labels = [False] * self.n_pool
        for p in self.found_at:
            labels[p - 1] = True
        return list(self.prior_labels) + labels


def _digest(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def features_for(
    texts: Sequence[str], settings: ModelSettings, cache: Path | None, name: str
) -> Features:
    if cache is None:
        return featurize(texts, settings)
    feature_part = (settings.word_ngrams, settings.binary_tf, settings.max_df, settings.adaptive)
    path = cache / "features" / f"{name}-{features_key(texts)}-{_digest(feature_part)}.npz"
    if path.is_file():
        return load_features(path)
    features = featurize(texts, settings)
    save_features(features, path)
    return features


def replay(
    name: str,
    label: str | None,
    settings: ModelSettings,
    seeds: Sequence[int],
    cache: Path | None,
) -> list[Run]:
    data = read_labelled_csv(DATA / name, label)
    runs: list[Run] = []
    features: Features | None = None
    for seed in seeds:
        path = None
        if cache is not None:
            path = cache / "runs" / f"{name}-{label}-{_digest(settings)}-{seed}.json"
            if path.is_file():
                runs.append(_load_run(path))
                continue
        if features is None:
            features = features_for(data.texts, settings, cache, name)
        sim = simulate(features, data.labels, seed=seed, settings=settings)
        labels = sim.screened_labels()
        run = Run(
            seed=seed,
            metrics=sim.metrics(),
            prior_labels=tuple(data.labels[i] for i in sim.prior),
            found_at=tuple(i for i, x in enumerate(labels, start=1) if x),
            n_pool=sim.n_pool,
            retrains=sim.retrains,
            train_seconds=sim.training_seconds,
        )
        if path is not None:
            _save_run(path, run)
        runs.append(run)
    return runs


def _save_run(path: Path, run: Run) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    m = run.metrics
    payload = {
        "seed": run.seed,
        "metrics": [m.wss95, m.rrf10, m.atd, m.n_total, m.n_relevant],
        "prior_labels": run.prior_labels,
        "found_at": run.found_at,
        "n_pool": run.n_pool,
        "retrains": run.retrains,
        "train_seconds": run.train_seconds,
    }
    tmp = path.with_suffix(".partial")
    tmp.write_text(json.dumps(payload))
    tmp.replace(path)


def _load_run(path: Path) -> Run:
    d = json.loads(path.read_text())
    wss, rrf, atd, n_total, n_relevant = d["metrics"]
    return Run(
        seed=d["seed"],
        metrics=Metrics(wss, rrf, atd, int(n_total), int(n_relevant)),
        prior_labels=tuple(d["prior_labels"]),
        found_at=tuple(d["found_at"]),
        n_pool=d["n_pool"],
        retrains=d["retrains"],
        train_seconds=d["train_seconds"],
    )


def _mean(values: Sequence[float]) -> float:
    return statistics.fmean(values)


def compare_models(
    sets: list[tuple[str, str | None, str]],
    seeds: Sequence[int],
    names: Sequence[str],
    cache: Path | None,
) -> dict[str, dict[str, list[Run]]]:
    """Replay every set with each model; print the metrics side by side (first model against
    the last, which is the reference)."""
    results: dict[str, dict[str, list[Run]]] = {n: {} for n in names}
    first, ref = names[0], names[-1]
    print(
        f"prior: 1 include + 1 exclude; seeds {seeds[0]}..{seeds[-1]}; means in %; "
        f"{first} against {ref} (ATD: lower is better)"
    )
    print(
        f"{'set':<24} {'n':>6} {'incl':>5} | {'WSS@95':^19} | {'RRF@10':^19} | {'ATD':^19} |"
        f" {'train s':>7}"
    )
    row = f"{first[:6]:>6} {ref[:6]:>6} {'diff':>5}"
    print(f"{'':<24} {'':>6} {'':>5} | {row} | {row} | {row} |")
    diffs: dict[str, list[float]] = {"wss95": [], "rrf10": [], "atd": []}
    for name, label, title in sets:
        started = time.perf_counter()
        for n in names:
            results[n][title] = replay(name, label, VARIANTS[n], seeds, cache)
        cells = []
        for metric in ("wss95", "rrf10", "atd"):
            a = _mean([getattr(r.metrics, metric) for r in results[first][title]])
            b = _mean([getattr(r.metrics, metric) for r in results[ref][title]])
            diffs[metric].append(a - b)
            cells.append(f"{a:6.1f} {b:6.1f} {a - b:+5.1f}")
        runs = results[first][title]
        n_rec = runs[0].n_pool + 2
        n_inc = runs[0].metrics.n_relevant + 1
        train = _mean([r.train_seconds for r in runs])
        print(
            f"{title:<24} {n_rec:>6,} {n_inc:>5} | {' | '.join(cells)} | {train:7.1f}"
            f"   ({time.perf_counter() - started:.0f} s)",
            flush=True,
        )
    print(
        f"{'median difference':<37} | {statistics.median(diffs['wss95']):>19.1f} |"
        f" {statistics.median(diffs['rrf10']):>19.1f} | {statistics.median(diffs['atd']):>19.1f} |"
    )
    print(
        f"{'worst difference':<37} | {min(diffs['wss95']):>19.1f} |"
        f" {min(diffs['rrf10']):>19.1f} | {max(diffs['atd']):>19.1f} |"
    )
    medians = {
        n: statistics.median(_mean([r.metrics.wss95 for r in results[n][t]]) for _, _, t in sets)
        for n in names
    }
    print("median WSS@95 over the sets: " + ", ".join(f"{n} {v:.1f}" for n, v in medians.items()))
    return results


# --- stopping ----------------------------------------------------------------------------------

StopRule = Callable[[list[bool], int, int], int | None]
"""(decisions in screening order, records in all, seed) → decisions screened at the stop, or
None when the rule never stops before everything is screened."""


def check_points(total: int) -> range:
    """The rules are asked after every 0.5 % of the records (at least every record)."""
    return range(1, total + 1, max(1, total // 200))


def stop_by_assessment(rule: str, **kwargs: object) -> StopRule:
    def stop(decisions: list[bool], total: int, seed: int) -> int | None:
        for n in check_points(total):
            if stopping.rule_verdict(rule, decisions[:n], total, **kwargs) is stopping.Verdict.STOP:
                return n
        return None

    return stop


def stop_by_target(decisions: list[bool], total: int, seed: int) -> int | None:
    """Cormack & Grossman's target method, replayed: a random sample until it holds the target
    set of relevant records, then the ranked order until every one of them is found."""
    plan = stopping.target_sample_size(stopping.DEFAULT_RECALL_TARGET, stopping.DEFAULT_CONFIDENCE)
    rng = random.Random(seed)
    order = list(range(total))
    rng.shuffle(order)
    targets: list[int] = []
    sampled: set[int] = set()
    for i in order:
        sampled.add(i)
        if decisions[i]:
            targets.append(i)
            if len(targets) == plan:
                break
    if len(targets) < plan:
        return None  # the sample ran through every record
    last = max(targets)
    screened = set(range(last + 1)) | sampled
    return -len(screened)  # negative: the records screened are not a prefix of the order


def measure_stopping(
    results: dict[str, list[Run]], sets: list[tuple[str, str | None, str]], target: float
) -> None:
    rules: dict[str, StopRule] = {
        "statistical (buscar)": stop_by_assessment("statistical"),
        "knee": stop_by_assessment("knee"),
        "target method": stop_by_target,
        "consecutive excludes": stop_by_assessment("consecutive"),
    }
    print(
        f"\nstopping rules on rea's orders (target recall {target:.0%}, confidence 95 %): recall "
        "at the stop mean/min, runs below the target, share screened at the stop, and the share "
        "at which the target recall was reached (means over seeds)"
    )
    print(f"{'set':<24} {'reached':>7} | " + " | ".join(f"{r[:21]:^24}" for r in rules))
    below = dict.fromkeys(rules, 0)
    saved: dict[str, list[float]] = {r: [] for r in rules}
    for _, _, title in sets:
        runs = results[title]
        reached = []
        cells = []
        per_rule: dict[str, tuple[list[float], list[float]]] = {r: ([], []) for r in rules}
        for run in runs:
            decisions = run.decisions()
            total = len(decisions)
            relevant = sum(decisions)
            need = math.ceil(target * relevant)
            count = 0
            for i, d in enumerate(decisions, start=1):
                count += d
                if count >= need:
                    reached.append(i / total)
                    break
            for rule, stop in rules.items():
                at = stop(decisions, total, run.seed)
                if at is None:
                    recall, share = 1.0, 1.0
                elif at < 0:  # target method: a sample and a prefix
                    share = -at / total
                    recall = 1.0 if share >= 1 else _target_recall(decisions, total, run.seed)
                else:
                    recall, share = sum(decisions[:at]) / relevant, at / total
                per_rule[rule][0].append(recall)
                per_rule[rule][1].append(share)
                below[rule] += recall < target
        for rule in rules:
            recalls, shares = per_rule[rule]
            saved[rule].append(1.0 - _mean(shares))
            cells.append(
                f"{100 * _mean(recalls):3.0f}/{100 * min(recalls):3.0f} "
                f"{sum(r < target for r in recalls):>2} {100 * _mean(shares):5.1f}%"
            )
        joined = " | ".join(f"{c:^24}" for c in cells)
        print(f"{title:<24} {100 * _mean(reached):6.1f}% | {joined}")
    total_runs = sum(len(results[t]) for _, _, t in sets)
    print(
        f"{'runs below the target':<33} | "
        + " | ".join(f"{f'{below[r]} of {total_runs}':^24}" for r in rules)
    )
    print(
        f"{'median share saved':<33} | "
        + " | ".join(f"{f'{100 * statistics.median(saved[r]):.1f}%':^24}" for r in rules)
    )


def _target_recall(decisions: list[bool], total: int, seed: int) -> float:
    """Recall of the target method's stop: the sample and the ranked prefix together."""
    plan = stopping.target_sample_size(stopping.DEFAULT_RECALL_TARGET, stopping.DEFAULT_CONFIDENCE)
    rng = random.Random(seed)
    order = list(range(total))
    rng.shuffle(order)
    targets: list[int] = []
    sampled: set[int] = set()
    for i in order:
        sampled.add(i)
        if decisions[i]:
            targets.append(i)
            if len(targets) == plan:
                break
    screened = set(range(max(targets) + 1)) | sampled
    return sum(decisions[i] for i in screened) / sum(decisions)


# --- retrain time ------------------------------------------------------------------------------


def _texts_of_size(n: int) -> tuple[list[str], list[bool]]:
    """``n`` texts: the labelled sets' own, then copies with their words shuffled (new 2-grams,
    so the vocabulary grows as a larger real set's would)."""
    texts: list[str] = []
    labels: list[bool] = []
    for name in dict.fromkeys(s[0] for s in SETS):
        data = read_labelled_csv(DATA / name, None if "ferdinands" in name else "label_included")
        texts.extend(data.texts)
        labels.extend(data.labels)
    rng = random.Random(0)
    base = len(texts)
    while len(texts) < n:
        i = rng.randrange(base)
        words = texts[i].split()
        rng.shuffle(words)
        texts.append(" ".join(words))
        labels.append(labels[i])
    return texts[:n], labels[:n]


def time_retrains() -> None:
    print(
        "\nseconds per retrain (fit on the decisions, score every record; best of 3, wall and CPU)"
    )
    print(
        f"{'records':>8} {'features':>9} {'featurize s':>12} {'decided':>8} {'retrain s':>10}"
        f" {'CPU s':>7}"
    )
    for n in (2_000, 20_000):
        texts, labels = _texts_of_size(n)
        started = time.perf_counter()
        features = featurize(texts)
        featurize_s = time.perf_counter() - started
        for decided in (n // 10, n - 1):
            known = {i: labels[i] for i in range(decided)}
            times, cpu = [], []
            for _ in range(3):
                started, started_cpu = time.perf_counter(), time.process_time()
                train_and_score(features, known)
                times.append(time.perf_counter() - started)
                cpu.append(time.process_time() - started_cpu)
            print(
                f"{n:>8,} {features.matrix.shape[1]:>9,} {featurize_s:>12.2f} {decided:>8,} "
                f"{min(times):>10.3f} {min(cpu):>7.3f}"
            )


def main() -> int:
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (may be shared)")
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--sets", default="", help="only the sets whose name contains this")
    parser.add_argument("--cache", type=Path, default=None, help="keep features and runs here")
    parser.add_argument("--no-stopping", action="store_true")
    parser.add_argument("--no-timing", action="store_true")
    args = parser.parse_args()
    if not DATA.is_dir():
        print(f"no labelled screening sets at {DATA}: nothing to benchmark")
        return 0
    sets = [s for s in SETS if args.sets.lower() in s[2].lower()]
    names = list(VARIANTS)
    results = compare_models(sets, range(args.seeds), names, args.cache)
    if not args.no_stopping:
        measure_stopping(results[names[0]], sets, stopping.DEFAULT_RECALL_TARGET)
    if not args.no_timing:
        time_retrains()
    return 0


__all__ = ["ELAS_U4", "VARIANTS", "compare_models", "replace"]

if __name__ == "__main__":
    sys.exit(main())
