"""API schemas of the dose views: cumulative dose, alerts, NRD, physicist views, report text.

Every number leaves with its unit, how it was obtained (``method``: a model's propagation,
or ``device-reported``), where it comes from (``source``/``models``) and its uncertainty
(k=1, relative, %) when it is an estimate. Estimates are never presented as measurements:
``kind`` says which one a value is.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from api.schemas import Out, PersonOut, StudyDetail

ESTIMATE = "estimate"
DEVICE_REPORTED = "device-reported"


class WindowOut(Out):
    label: str = Field(description="12m | 5y | all | FROM:TO")
    start: date | None
    end: date | None
    as_of: date


class MissingExamOut(Out):
    study_instance_uid: str
    study_date: date | None
    modality: str
    reason: str


class DoseSumOut(Out):
    """A sum of model estimates of one quantity (an estimate, never a measurement)."""

    kind: str = Field(default=ESTIMATE, description="always 'estimate'")
    value: float | None = Field(description="None when nothing was summed (not a zero dose)")
    unit: str
    uncertainty_pct: float | None = Field(description="relative standard uncertainty, %, k=1")
    method: str = Field(description="how the sum and its uncertainty were propagated")
    models: list[str] = Field(description="model id, version and table version of each source")
    coverage: str = Field(description="'covers N of M exams'")
    exams_covered: int
    exams_total: int
    missing: list[MissingExamOut] = Field(description="exams not fully covered, with why")
    indicative: bool = Field(description="an unverified reference row contributed")
    upper_bound: bool = Field(description="a contribution is a conservative bound")


class OrganSumOut(Out):
    code: str = Field(description="SNOMED CT code of the organ")
    meaning: str
    dose: DoseSumOut


class IndicatorSumOut(Out):
    """A device indicator as reported, summed over counted events (not an estimate)."""

    kind: str = Field(default=DEVICE_REPORTED, description="always 'device-reported'")
    name: str
    value: float | None
    unit: str
    exams: int = Field(description="exams that contributed")
    source: str = "dose reports of the devices (RDSR or image headers), counted events only"


class ShareOut(Out):
    key: str
    value: float
    unit: str = "mSv"
    exams: int


class OtherBasisOut(Out):
    basis: str
    value: float
    unit: str = "mSv"
    exams: int
    note: str = "another tissue-weighting basis: shown apart, never added"


class TimelinePointOut(Out):
    study_date: date | None
    study_instance_uid: str
    modality: str
    establishment: str
    increment: float = Field(description="effective dose of the exam on the view's basis")
    running: float = Field(description="cumulative effective dose after the exam")
    unit: str = "mSv"


class SkinProcedureOut(Out):
    study_instance_uid: str
    study_date: date | None
    establishment: str
    peak_skin_dose_mgy: float | None = Field(description="estimate; never summed")
    uncertainty_pct: float | None
    upper_bound: bool
    method: str | None = Field(description="model id and version; None: not estimated")
    ka_r_gy: float | None = Field(description="device-reported reference-point air kerma")
    regions: list[str]


class SkinOverlapOut(Out):
    first: str
    second: str
    days_apart: int
    reason: str


class CumulativeOut(Out):
    """A person's cumulative dose over a window, on ONE tissue-weighting basis."""

    person_pseudonym: str
    scope: str = Field(description="regional | own-establishments")
    window: WindowOut
    exams: int
    undated_excluded: int = Field(description="undated studies a bounded window cannot place")
    basis: str = Field(description="tissue-weighting basis of the effective dose (one)")
    effective: DoseSumOut
    effective_other_bases: list[OtherBasisOut]
    effective_by_modality: list[ShareOut]
    effective_by_establishment: list[ShareOut]
    organs: list[OrganSumOut]
    indicators: list[IndicatorSumOut]
    activity: list[IndicatorSumOut] = Field(description="administered activity per nuclide")
    timeline: list[TimelinePointOut]
    skin_procedures: list[SkinProcedureOut]
    skin_overlaps: list[SkinOverlapOut]


class AlertOut(Out):
    id: int
    rule_id: str
    rule_version: str
    person_pseudonym: str
    study_instance_uid: str
    establishment_code: str
    role: str = Field(description="who the alert is routed to")
    value: float
    unit: str
    threshold: float
    message: str
    source: str = Field(description="the literature or local decision behind the rule")
    state: str = Field(description="open | acknowledged | closed")
    active: bool = Field(description="False: the condition no longer holds (withdrawn)")
    raised_at: datetime
    updated_at: datetime


class CommentIn(Out):
    comment: str = Field(min_length=3, max_length=1000)


class ReportTextOut(Out):
    study_instance_uid: str
    lang: str
    text: str
    source: str = "device-reported indicators of the counted events (never estimates)"


class NrdEvaluationOut(Out):
    establishment: str
    device: str
    exam_type: str
    population: str
    indicator: str
    unit: str
    n: int
    n_required: int
    statistic: str = Field(description="median (2019) or mean (2011) of the series")
    value: float | None = Field(description="the statistic of the series (device-reported)")
    q1: float | None
    q3: float | None
    nrd: float | None
    vgd: float | None
    status: str
    regulation: str
    reference_version: str
    labels: list[str] = Field(description="obsolete / indicative / derived ... warnings")


class NrdRefusalOut(Out):
    establishment: str
    device: str
    exam_type: str
    reason: str


class NrdEvaluationsOut(Out):
    establishment_code: str
    year: int
    regulation: str
    evaluations: list[NrdEvaluationOut]
    refused: list[NrdRefusalOut]
    unmapped_exams: int


class SuggestionOut(Out):
    exam_type: str
    label_fr: str
    score: float


class MappingRuleOut(Out):
    id: int
    kind: str = Field(description="exact | pattern | keyword")
    field: str = Field(description="study_description | requested | protocol | any")
    pattern: str
    exam_type: str
    modality: str | None
    priority: int
    active: bool


class DistributionOut(Out):
    """Organ-dose estimates of one organ, device and protocol (box-plot statistics)."""

    organ_code: str
    organ_meaning: str
    establishment_code: str
    device: str
    protocol: str
    unit: str = "mGy"
    kind: str = ESTIMATE
    n: int
    minimum: float
    q1: float
    median: float
    q3: float
    maximum: float
    models: list[str]


class OutlierOut(Out):
    """An estimate above Q3 + 1.5 IQR of its device x protocol x organ group."""

    organ_code: str
    organ_meaning: str
    establishment_code: str
    device: str
    protocol: str
    study_instance_uid: str
    person_pseudonym: str
    value: float
    unit: str
    uncertainty_pct: float
    method: str
    fence: float = Field(description="Q3 + 1.5 IQR of the group")


class OrganDosesOut(Out):
    exams_considered: int = Field(description="studies read (newest first, bounded)")
    distributions: list[DistributionOut]
    outliers: list[OutlierOut]


class SkinFollowUpOut(Out):
    """A fluoroscopy procedure whose skin may need follow-up (person by pseudonym)."""

    person_pseudonym: str
    study_instance_uid: str
    study_date: date | None
    establishment_code: str
    reason: str
    peak_skin_dose_mgy: float | None = Field(description="estimate (None: not estimated)")
    uncertainty_pct: float | None
    method: str | None
    ka_r_gy: float | None = Field(description="device-reported")


class FindingCountOut(Out):
    """Findings recorded on the current reports of one device (conformance view)."""

    establishment_code: str
    manufacturer: str | None
    model: str | None
    code: str
    severity: str
    reports: int = Field(description="current reports of the device carrying this finding")
    findings: int


class UserOut(Out):
    id: int
    username: str
    role: str
    active: bool
    establishment_codes: list[str]
    created_at: datetime


class HistoryOut(Out):
    """A person's exams (events, indicators, estimates) and open alerts; ``scope`` says
    whether other establishments were included. The sums over the exams, their coverage
    and timeline are the ``cumulative`` resource (same scope)."""

    person: PersonOut
    scope: str = Field(description="regional | own-establishments")
    studies: list[StudyDetail]
    alerts: list[AlertOut] = Field(description="open and acknowledged alerts in scope")
    cumulative: str = Field(description="path of the person's cumulative dose (windows)")


class LookupOut(Out):
    persons: list[HistoryOut]
