"""Screening: the queue per phase, reviewers and blinding, conflicts and their resolution,
promotion from title/abstract to full text, full-text retrieval and study types.

The API other parts of rea use:

- :class:`QueueOrder`, :data:`BY_WORK_ID`: the seam where prioritised ordering plugs in.
- :func:`final_decisions`: the final status and exclusion reason of every work in a phase.
- :func:`phase_state` (or :func:`phase_members`, :func:`outcomes`): which works are in each
  phase and where they stand.
- ``rea.store.screening``: ``current_decisions``, ``current_retrievals``,
  ``current_study_types``, ``current_resolutions`` (the current state, read from the views).
"""

from rea.screening.config import (
    PhaseSettings,
    Reason,
    Reviewer,
    ScreeningConfig,
    load_screening_config,
)
from rea.screening.model import (
    Agreement,
    Decision,
    Outcome,
    Phase,
    Retrieval,
    Role,
    Status,
    StudyType,
    assigned_reviewers,
    cohen_kappa,
    highlight,
    term_pattern,
)
from rea.screening.reports import (
    Conflict,
    FinalDecision,
    ImportResult,
    PhaseStats,
    ReviewerStats,
    conflicts,
    export_csv,
    final_decisions,
    import_csv,
    stats,
)
from rea.screening.service import (
    DecisionRequest,
    PhaseState,
    Recorded,
    add_note,
    ensure_assignments,
    outcomes,
    phase_members,
    phase_state,
    record_decision,
    record_retrieval,
    record_study_type,
    resolve,
    undo_decision,
)
from rea.screening.session import BY_WORK_ID, QueueOrder, ScreeningSession, WorkView, by_work_id

__all__ = [
    "BY_WORK_ID",
    "Agreement",
    "Conflict",
    "Decision",
    "DecisionRequest",
    "FinalDecision",
    "ImportResult",
    "Outcome",
    "Phase",
    "PhaseSettings",
    "PhaseState",
    "PhaseStats",
    "QueueOrder",
    "Reason",
    "Recorded",
    "Retrieval",
    "Reviewer",
    "ReviewerStats",
    "Role",
    "ScreeningConfig",
    "ScreeningSession",
    "Status",
    "StudyType",
    "WorkView",
    "add_note",
    "assigned_reviewers",
    "by_work_id",
    "cohen_kappa",
    "conflicts",
    "ensure_assignments",
    "export_csv",
    "final_decisions",
    "highlight",
    "import_csv",
    "load_screening_config",
    "outcomes",
    "phase_members",
    "phase_state",
    "record_decision",
    "record_retrieval",
    "record_study_type",
    "resolve",
    "stats",
    "term_pattern",
    "undo_decision",
]
