"""Radiography entrance surface dose: the full record and the exact refusals (#15).

ESD = Ka,RP x (d_RP / d_skin)^2 x BSF with BSF 1.35 (skin_dose_factors.csv: reference README
section 6, typical range 1.3-1.4). Uncertainty components of ``organ_models.radiography``:
10 % BSF range, then 20 % reference point taken as the skin entrance, 40 % when the
reference point is not stated, 25 % for the assumed skin-to-detector distance (25 cm) when
the RP is in the detector plane (CID 10025 113941).
"""

from __future__ import annotations

import dataclasses
import math

import pytest

from dosewatch.domain.codes import Code
from dosewatch.domain.estimate import Estimate, EstimateQuantity, NotEstimatedReason
from dosewatch.domain.finding_codes import FindingCode
from dosewatch.domain.report import DoseModality, ProjectionIrradiationEvent
from organ_models import EstimationSettings
from organ_models.common import Outcome
from organ_models.radiography import ESD, entrance_surface_dose_for_event
from tests.organ_models import builders as b

DETECTOR = Code("113941", "DCM", "In Detector Plane")
ENTRANCE = Code("113940", "DCM", "Equivalent Field Size")  # any RP code but the detector's
KAR = b.projection_event(dose_rp_gy=0.1)  # Dose (RP) 100 mGy
BSF = 1.35


def _outcome(event: ProjectionIrradiationEvent, with_report: bool = True) -> Outcome:
    report = b.report(DoseModality.RADIOGRAPHY, (event,)) if with_report else None
    return entrance_surface_dose_for_event(event, EstimationSettings(), report)


def _one(out: Outcome) -> Estimate:
    assert out.refused == []
    (e,) = out.estimates
    assert e.quantity is EstimateQuantity.ENTRANCE_SURFACE_DOSE
    assert e.model_id == ESD.model_id == "dx.esd.dose_rp"
    assert e.event_uid == "2.1" and e.value.unit == "mGy"
    (c,) = e.coefficients
    assert (c.name, c.value) == ("BSF", BSF)
    return e


def _inputs(e: Estimate) -> list[tuple[str, float | None, str | None, bool]]:
    return [
        (i.name, None if i.quantity is None else i.quantity.value, i.text, i.assumed)
        for i in e.inputs
    ]


def _pct(*parts: float) -> float:
    return round(math.sqrt(sum(p * p for p in parts)), 1)


def _detector(sid_mm: float | None = 1100.0, limb: bool = False) -> ProjectionIrradiationEvent:
    return dataclasses.replace(
        KAR,
        reference_point_definition=DETECTOR,
        anatomical_structure=None if limb else b.CHEST,
        acquisition_protocol="Genou" if limb else None,
        distance_source_to_detector=None if sid_mm is None else b.q(sid_mm, "mm"),
    )


def test_unstated_reference_point_record() -> None:
    out = _outcome(KAR)
    e = _one(out)
    assert e.value.value == pytest.approx(100.0 * BSF)
    assert e.uncertainty_pct == _pct(10, 40) == 41.2
    assert e.method == (
        "ESD = Ka,RP x (d_RP/d_skin)^2 x BSF = 100 mGy x 1 x 1.35 (reference point taken as "
        "the skin entrance)"
    )
    assert _inputs(e) == [
        ("dose_rp", 100.0, "event Dose (RP)", False),
        ("reference_point", None, "not stated: taken as the skin entrance", True),
    ]
    assert [(f.code, f.message) for f in out.findings] == [
        (
            FindingCode.MODEL_REFERENCE_POINT_UNSTATED,
            "Dose (RP) without a reference point definition: taken as the skin entrance (if it "
            "is the detector plane the ESD is 1.4-1.8x higher)",
        )
    ]


def test_stated_reference_point_record() -> None:
    out = _outcome(dataclasses.replace(KAR, reference_point_definition=ENTRANCE))
    e = _one(out)
    assert e.value.value == pytest.approx(100.0 * BSF)
    assert e.uncertainty_pct == _pct(10, 20) == 22.4
    assert _inputs(e) == [("dose_rp", 100.0, "event Dose (RP)", False)]
    assert out.findings == []


@pytest.mark.parametrize("rp", [DETECTOR, "In Detector Plane"])
def test_detector_plane_record(rp: Code | str) -> None:
    # SID 110 cm, skin 25 cm before the detector: (110 / 85)^2 = 1.675
    out = _outcome(dataclasses.replace(_detector(), reference_point_definition=rp))
    e = _one(out)
    assert e.value.value == pytest.approx(100.0 * (110.0 / 85.0) ** 2 * BSF)
    assert e.uncertainty_pct == _pct(10, 25) == 26.9
    assert e.method == (
        "ESD = Ka,RP x (d_RP/d_skin)^2 x BSF = 100 mGy x 1.67 x 1.35 (RP in the detector "
        "plane: x (SID/d_skin)^2 = 1.67)"
    )
    assert _inputs(e) == [
        ("dose_rp", 100.0, "event Dose (RP)", False),
        ("source_to_detector", 110.0, "Distance Source to Detector", False),
        ("skin_to_detector", 25.0, "patient thickness + gap assumed for a chest projection", True),
    ]
    assert out.findings == []


def test_a_text_reference_point_elsewhere_is_not_the_detector() -> None:
    e = _one(_outcome(dataclasses.replace(KAR, reference_point_definition="15 cm from isocenter")))
    assert e.value.value == pytest.approx(100.0 * BSF)


DETECTOR_NO_SID = (
    "entrance surface dose: Dose (RP) is in the detector plane and the source-to-detector "
    "distance is not reported; taking it as the skin dose would be 1.4-1.8x too low"
)
DETECTOR_LIMB = (
    "entrance surface dose: Dose (RP) is in the detector plane and the exam (hence patient "
    "thickness) is not a trunk or skull projection; taking it as the skin dose would be "
    "1.4-1.8x too low"
)


@pytest.mark.parametrize(
    ("event", "with_report", "message"),
    [
        (
            dataclasses.replace(KAR, dose_rp=None),
            True,
            "entrance surface dose: no Dose (RP) in the event",
        ),
        (_detector(None), True, DETECTOR_NO_SID),
        (_detector(limb=True), True, DETECTOR_LIMB),
        (_detector(), False, DETECTOR_LIMB),  # no report: the exam is unknown
        (
            _detector(250.0),
            True,
            "entrance surface dose: source-to-detector distance 25 cm too short",
        ),
    ],
)
def test_refusals_are_exact(
    event: ProjectionIrradiationEvent, with_report: bool, message: str
) -> None:
    out = _outcome(event, with_report)
    assert out.estimates == [] and out.findings == []
    (r,) = out.refused
    assert r.event_uid == "2.1" and r.quantity is EstimateQuantity.ENTRANCE_SURFACE_DOSE
    assert (r.reason, r.message) == (NotEstimatedReason.MISSING_INPUT, message)


def test_a_sid_just_beyond_the_assumed_skin_distance_is_estimated() -> None:
    # 25.1 cm: skin 0.1 cm from the source -> a (finite) factor (25.1 / 0.1)^2
    e = _one(_outcome(_detector(251.0)))
    assert e.value.value == pytest.approx(100.0 * (25.1 / 0.1) ** 2 * BSF)


def test_a_refused_backscatter_factor_refuses_the_esd(monkeypatch: pytest.MonkeyPatch) -> None:
    from dosewatch.domain.errors import ReferencePolicyRefusedError
    from organ_models import radiography

    def refused(name: str, policy: object) -> object:
        raise ReferencePolicyRefusedError("skin_dose_factors: backscatter_factor refused")

    monkeypatch.setattr(radiography, "skin_factor", refused)
    out = _outcome(KAR)
    assert out.estimates == [] and out.findings == []
    (r,) = out.refused
    assert r.event_uid == "2.1" and r.quantity is EstimateQuantity.ENTRANCE_SURFACE_DOSE
    assert (r.reason, r.message) == (
        NotEstimatedReason.POLICY_REFUSED,
        "entrance surface dose: skin_dose_factors: backscatter_factor refused",
    )


def test_the_exam_may_come_from_the_acquisition_protocol() -> None:
    from organ_models.radiography import exam_of

    event = dataclasses.replace(KAR, acquisition_protocol="Genou face")
    assert exam_of(event, b.report(DoseModality.RADIOGRAPHY, (event,))) == "knee"
    assert exam_of(KAR, b.report(DoseModality.RADIOGRAPHY, (KAR,))) is None


def test_without_a_patient_the_adult_e_is_estimated() -> None:
    from organ_models.radiography import effective_dose_for_event

    event = dataclasses.replace(KAR, anatomical_structure=b.CHEST)
    out = effective_dose_for_event(
        event, b.report(DoseModality.RADIOGRAPHY, (event,)), EstimationSettings()
    )
    (e,) = out.estimates
    age = e.input("age")
    assert age is not None and age.assumed  # adult reference person, age unknown
