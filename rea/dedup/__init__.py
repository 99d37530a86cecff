"""Deduplication: records in, clusters of the same report out, with the evidence of each link.

Pure: no storage, no printing. rapidfuzz does the fuzzy matching, pandas the tabular export.
"""

from rea.dedup.cluster import (
    Cluster,
    DedupResult,
    Link,
    QueuedPair,
    RelatedPair,
    deduplicate,
    kept_record,
)
from rea.dedup.compare import DISTINCT, MERGE, REVIEW, Verdict, compare
from rea.dedup.normalize import Prepared, prepare

__all__ = [
    "DISTINCT",
    "MERGE",
    "REVIEW",
    "Cluster",
    "DedupResult",
    "Link",
    "Prepared",
    "QueuedPair",
    "RelatedPair",
    "Verdict",
    "compare",
    "deduplicate",
    "kept_record",
    "prepare",
]
