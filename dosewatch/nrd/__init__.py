"""French NRD evaluations (issue #8): reference data, exam mapping, evaluation, outputs.

Calls for the service and alerts: :func:`suggest`, :func:`evaluate`,
:func:`study_exceeds_nrd`.
"""

from dosewatch.nrd.matcher import Suggestion, suggest
from dosewatch.nrd.store import StudyCheck, evaluate, study_exceeds_nrd

__all__ = ["StudyCheck", "Suggestion", "evaluate", "study_exceeds_nrd", "suggest"]
