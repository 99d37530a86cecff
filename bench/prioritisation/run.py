"""Prioritised screening on the labelled sets: WSS@95, RRF@10, ATD, and the time of a retrain.

Replays each labelled set in ``../shared/data/screening/`` through the ranker the screening
queue uses (``rea.pipeline.simulate``), from 1 known include + 1 known exclude drawn by each
seed, prior records excluded from the metrics, and prints mean and sd per set next to ASReview
LAB 3.0.8's default model measured with the same protocol. Then times one retrain (fit on the
decisions, score every record) at 2,000 and 20,000 records.

    python bench/prioritisation/run.py [--seeds 10]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from rea.pipeline.simulate import read_labelled_csv  # noqa: E402
from rea.ranking.metrics import Metrics  # noqa: E402
from rea.ranking.model import featurize, train_and_score  # noqa: E402
from rea.ranking.simulation import simulate  # noqa: E402

# the sets live beside the repository; REA_BENCH_SCREENING_DATA points elsewhere
DATA = Path(
    os.environ.get("REA_BENCH_SCREENING_DATA", REPO.parent / "shared" / "data" / "screening")
)

# (file, label column, name shown, ASReview LAB 3.0.8 default WSS@95, RRF@10 from the data's
# README)
SETS = [
    ("ferdinands2020_sim_nudging.csv", None, "nudging", (71.0, 64.0)),
    ("ferdinands2020_sim_ace.csv", None, "ACE", (77.7, 85.0)),
    ("synergy_v1_Nagtegaal_2019.csv", "label_included", "Nagtegaal, final labels", None),
    # the same records with the title/abstract stage's labels (392 includes, about 19 %)
    ("synergy_v1_Nagtegaal_2019.csv", "label_abstract_screening", "Nagtegaal, T/A labels", None),
]


def _mean_sd(values: list[float]) -> str:
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.fmean(values):5.1f} ± {sd:4.1f}"


def run_sets(seeds: int) -> None:
    print(f"prior: 1 include + 1 exclude; seeds 0..{seeds - 1}; in % (ATD: lower is better)")
    header = f"{'set':<24} {'n':>6} {'incl':>5}  {'WSS@95':>11}  {'RRF@10':>11}  {'ATD':>11}"
    print(header + "  retrains  train s/run  ASReview default")
    for name, label, title, anchor in SETS:
        data = read_labelled_csv(DATA / name, label)
        started = time.perf_counter()
        features = featurize(data.texts)
        runs = [simulate(features, data.labels, seed=s) for s in range(seeds)]
        metrics: list[Metrics] = [r.metrics() for r in runs]
        elapsed = time.perf_counter() - started
        wss = [m.wss95 for m in metrics]
        rrf = [m.rrf10 for m in metrics]
        atd = [m.atd for m in metrics]
        verdict = ""
        if anchor is not None:
            beats = statistics.fmean(wss) >= anchor[0] and statistics.fmean(rrf) >= anchor[1]
            verdict = f"{anchor[0]:.1f} / {anchor[1]:.1f} {'met' if beats else 'NOT met'}"
        print(
            f"{title:<24} {len(data.labels):>6,} {sum(data.labels):>5}  {_mean_sd(wss)}  "
            f"{_mean_sd(rrf)}  {_mean_sd(atd)}  "
            f"{statistics.fmean(r.retrains for r in runs):8.0f}  "
            f"{statistics.fmean(r.training_seconds for r in runs):11.1f}  {verdict}"
        )
        print(f"{'':<24} ({elapsed:.0f} s for {seeds} runs)")


def _texts_of_size(n: int) -> tuple[list[str], list[bool]]:
    """``n`` texts: the labelled sets' own, then copies with their words shuffled (new 2-grams,
    so the vocabulary grows as a larger real set's would)."""
    texts: list[str] = []
    labels: list[bool] = []
    files: dict[str, str | None] = {}
    for name, label, _, _ in SETS:
        files.setdefault(name, label)  # each file once, with its first label column
    for name, label in files.items():
        data = read_labelled_csv(DATA / name, label)
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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    args = parser.parse_args()
    if not DATA.is_dir():
        print(f"no labelled screening sets at {DATA}: nothing to benchmark")
        return 0
    run_sets(args.seeds)
    time_retrains()
    return 0


if __name__ == "__main__":
    sys.exit(main())
