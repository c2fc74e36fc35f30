"""Alert rules as versioned data (``data/alert_rules.csv``), with their literature source.

One row per rule and establishment: ``establishment = *`` is the default, a row with an
establishment code overrides it for exams of that establishment (thresholds, windows and
the role an alert is routed to). Changing a threshold is a new ``version`` of the row.
"""

from __future__ import annotations

import csv
import enum
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources

from dosewatch.domain.errors import InvalidValueError
from dosewatch.ledger.auth_models import Role

DEFAULT_ESTABLISHMENT = "*"


class RuleKind(enum.StrEnum):
    CUMULATIVE_EFFECTIVE = "cumulative_effective"
    CUMULATIVE_ORGAN = "cumulative_organ"
    PROCEDURE_KA_R = "procedure_ka_r"
    PROCEDURE_KAP = "procedure_kap"
    PROCEDURE_PSD = "procedure_psd"
    PROCEDURE_FLUORO_TIME = "procedure_fluoro_time"
    REPEAT_AFTER_SRDL = "repeat_after_srdl"
    REPEAT_CT_REGION = "repeat_ct_region"
    #: one exam's indicator above the NRD of its exam type (:func:`dosewatch.nrd.study_exceeds_nrd`)
    STUDY_ABOVE_NRD = "study_above_nrd"


#: the interventional substantial-radiation-dose-level kinds (NCRP 168)
SRDL_KINDS = frozenset(
    {
        RuleKind.PROCEDURE_KA_R,
        RuleKind.PROCEDURE_KAP,
        RuleKind.PROCEDURE_PSD,
        RuleKind.PROCEDURE_FLUORO_TIME,
    }
)


@dataclass(frozen=True, slots=True)
class AlertRule:
    rule_id: str
    version: str
    kind: RuleKind
    threshold: float
    unit: str
    window_days: int | None
    establishment: str
    role: Role  # the service role the alert is routed to, at the exam's establishment
    organ: str | None  # SNOMED CT code value (cumulative organ rules)
    source: str


def parse_rules(text: str) -> tuple[AlertRule, ...]:
    """Rules from CSV text, validated (a bad row is an error naming the row)."""
    rules: list[AlertRule] = []
    for number, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        try:
            rules.append(
                AlertRule(
                    rule_id=row["rule_id"],
                    version=row["version"],
                    kind=RuleKind(row["kind"]),
                    threshold=float(row["threshold"]),
                    unit=row["unit"],
                    window_days=int(row["window_days"]) if row["window_days"] else None,
                    establishment=row["establishment"] or DEFAULT_ESTABLISHMENT,
                    role=Role(row["role"]),
                    organ=row["organ"] or None,
                    source=row["source"],
                )
            )
        except (KeyError, ValueError) as exc:
            raise InvalidValueError(f"alert rules row {number}: {exc}") from exc
        if not rules[-1].source.strip():
            raise InvalidValueError(f"alert rules row {number}: a rule needs its source")
    return tuple(rules)


@cache
def default_rules() -> tuple[AlertRule, ...]:
    text = (
        resources.files("dosewatch.cumulative")
        .joinpath("data/alert_rules.csv")
        .read_text(encoding="utf-8")
    )
    return parse_rules(text)


def rule_for(rules: tuple[AlertRule, ...], rule_id: str, establishment: str) -> AlertRule:
    """The row of ``rule_id`` for an establishment (its override, else the default)."""
    default: AlertRule | None = None
    for rule in rules:
        if rule.rule_id != rule_id:
            continue
        if rule.establishment == establishment:
            return rule
        if rule.establishment == DEFAULT_ESTABLISHMENT:
            default = rule
    if default is None:
        raise InvalidValueError(f"alert rule {rule_id} has no default row")
    return default
