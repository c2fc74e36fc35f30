"""Patient Radiation Dose SR reader (rdsr_parsers.tid10030_patient_dose), on hand-built SRs.

The objects are written here item by item after PS3.16 TID 10030 Patient Radiation Dose
(root DCM:128401), TID 10031 Radiation Dose Estimate (DCM:128402) with its TID 10033
Methodology (DCM:128415: SR Instance Used DCM:128416 with Event UID Used DCM:128429), and
the dose NUMs of CID 10061 Absorbed Radiation Dose Types (DCM 128531-128534, 128539),
CID 10062 Equivalent Radiation Dose Types (DCM 128535-128538, 128540) and Effective Dose
(DCM:113839) with Finding Site (SCT:363698007), Reference Authority (DCM:121406: ICRP 103
DCM:113841, ICRP 60 DCM:113808), the uncertainty (SCT:371884006, %), the method Comment
(DCM:121106), the Model Reference (DCM:128426) and the Event UID Used (DCM:128429). They do
not come from dosewatch's own writer (tests/archive covers that round trip).
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from pydicom.dataset import Dataset
from pydicom.sr.coding import Code

from rdsr_parsers.tid10030_patient_dose import (
    PATIENT_RADIATION_DOSE_SR,
    PatientDoseSR,
    ReadEstimate,
    SourceUsed,
    read_patient_radiation_dose,
)

ESTIMATE = Code("128402", "DCM", "Radiation Dose Estimate")
METHODOLOGY = Code("128415", "DCM", "Radiation Dose Estimate Methodology")
SR_INSTANCE_USED = Code("128416", "DCM", "SR Instance Used")
EVENT_UID_USED = Code("128429", "DCM", "Event UID Used")
FINDING_SITE = Code("363698007", "SCT", "Finding Site")
REFERENCE_AUTHORITY = Code("121406", "DCM", "Reference Authority")
UNCERTAINTY = Code("371884006", "SCT", "+/-, range of measurement uncertainty")
COMMENT = Code("121106", "DCM", "Comment")
MODEL_REFERENCE = Code("128426", "DCM", "Patient Radiation Dose Model Reference")
EFFECTIVE_DOSE = Code("113839", "DCM", "Effective Dose")
LUNG = Code("39607008", "SCT", "Lung")
XRAY_RDSR = "1.2.840.10008.5.1.4.1.1.88.67"
REPORT = Code("128401", "DCM", "Patient Radiation Dose Report")


def _code(code: Code) -> Dataset:
    ds = Dataset()
    ds.CodeValue = code.value
    ds.CodingSchemeDesignator = code.scheme_designator
    ds.CodeMeaning = code.meaning
    return ds


def _item(value_type: str, concept: Code, relationship: str = "CONTAINS") -> Dataset:
    ds = Dataset()
    ds.RelationshipType = relationship
    ds.ValueType = value_type
    ds.ConceptNameCodeSequence = [_code(concept)]
    return ds


def _num(concept: Code, value: str, unit: str, children: Sequence[Dataset] = ()) -> Dataset:
    ds = _item("NUM", concept)
    measured = Dataset()
    measured.NumericValue = value
    measured.MeasurementUnitsCodeSequence = [_code(Code(unit, "UCUM", unit))]
    ds.MeasuredValueSequence = [measured]
    if children:
        ds.ContentSequence = list(children)
    return ds


def _coded(concept: Code, value: Code, relationship: str = "HAS CONCEPT MOD") -> Dataset:
    ds = _item("CODE", concept, relationship)
    ds.ConceptCodeSequence = [_code(value)]
    return ds


def _text(concept: Code, value: str) -> Dataset:
    ds = _item("TEXT", concept, "HAS PROPERTIES")
    ds.TextValue = value
    return ds


def _uid(concept: Code, uid: str) -> Dataset:
    ds = _item("UIDREF", concept, "HAS PROPERTIES")
    ds.UID = uid
    return ds


def _container(concept: Code, children: Sequence[Dataset]) -> Dataset:
    ds = _item("CONTAINER", concept)
    ds.ContinuityOfContent = "SEPARATE"
    ds.ContentSequence = list(children)
    return ds


def _source(sop_class: str | None, sop_instance: str, events: Sequence[str]) -> Dataset:
    ds = _item("COMPOSITE", SR_INSTANCE_USED)
    if sop_class is not None:
        ref = Dataset()
        ref.ReferencedSOPClassUID = sop_class
        ref.ReferencedSOPInstanceUID = sop_instance
        ds.ReferencedSOPSequence = [ref]
    if events:
        ds.ContentSequence = [_uid(EVENT_UID_USED, e) for e in events]
    return ds


def _prdsr(
    estimate: Sequence[Dataset] | None,
    *,
    sop_class: str = PATIENT_RADIATION_DOSE_SR,
    root: Code = REPORT,
) -> Dataset:
    ds = Dataset()
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = "1.2.826.0.1.3680043.10.9.1"
    ds.StudyInstanceUID = "1.2.826.0.1.3680043.10.9.2"
    ds.ValueType = "CONTAINER"
    ds.ConceptNameCodeSequence = [_code(root)]
    ds.ContentSequence = [] if estimate is None else [_container(ESTIMATE, estimate)]
    return ds


def _methodology(*sources: Dataset) -> Dataset:
    return _container(METHODOLOGY, sources)


def _estimate(
    concept: Code,
    value: str = "2.5",
    unit: str = "mGy",
    children: Sequence[Dataset] = (),
) -> PatientDoseSR:
    return read_patient_radiation_dose(
        _prdsr([_methodology(), _num(concept, value, unit, children)])
    )


def _dcm(value: str) -> Code:
    return Code(value, "DCM", f"dose type {value}")


def _findings(read: PatientDoseSR) -> list[tuple[str, str, str | None, str | None]]:
    return [(str(f.code), f.message, f.content_path, f.concept) for f in read.findings]


# --------------------------------------------------------------------------- a full estimate


def test_a_full_absorbed_estimate_and_its_source_are_read() -> None:
    dose = _num(
        _dcm("128533"),
        "12.5",
        "mGy",
        [
            _coded(FINDING_SITE, LUNG),
            _coded(REFERENCE_AUTHORITY, Code("113841", "DCM", "ICRP Pub 103")),
            _num(UNCERTAINTY, "30", "%"),
            _text(COMMENT, "CT organ dose, NCICT 2015 Table 1"),
            _text(MODEL_REFERENCE, "NCICT 2015"),
            _uid(EVENT_UID_USED, "1.2.3.9"),
        ],
    )
    source = _source(XRAY_RDSR, "1.2.3.4", ["1.2.3.8", "1.2.3.9"])
    read = read_patient_radiation_dose(_prdsr([_methodology(source), dose]))
    assert read == PatientDoseSR(
        study_instance_uid="1.2.826.0.1.3680043.10.9.2",
        sop_instance_uid="1.2.826.0.1.3680043.10.9.1",
        sources=(SourceUsed(XRAY_RDSR, "1.2.3.4", ("1.2.3.8", "1.2.3.9")),),
        estimates=(
            ReadEstimate(
                kind="absorbed",
                statistic="mean",
                organ=("SCT", "39607008"),
                value=12.5,
                unit="mGy",
                basis="ICRP103",
                uncertainty_pct=30.0,
                method="CT organ dose, NCICT 2015 Table 1",
                model_reference="NCICT 2015",
                event_uid="1.2.3.9",
            ),
        ),
        findings=(),
    )


def test_a_bare_effective_dose_has_none_for_what_is_not_sent() -> None:
    read = _estimate(EFFECTIVE_DOSE, "0.75", "mSv")
    assert read.estimates == (
        ReadEstimate(
            kind="effective",
            statistic=None,
            organ=None,
            value=0.75,
            unit="mSv",
            basis=None,
            uncertainty_pct=None,
            method=None,
            model_reference=None,
            event_uid=None,
        ),
    )
    assert read.findings == ()


# --------------------------------------------------------------------------- dose types


@pytest.mark.parametrize(
    ("value", "kind", "statistic", "unit"),
    [
        ("128531", "absorbed", "maximum", "mGy"),
        ("128532", "absorbed", "minimum", "mGy"),
        ("128533", "absorbed", "mean", "mGy"),
        ("128534", "absorbed", "mode", "mGy"),
        ("128539", "absorbed", "median", "mGy"),
        ("128535", "equivalent", "maximum", "mSv"),
        ("128536", "equivalent", "minimum", "mSv"),
        ("128537", "equivalent", "mean", "mSv"),
        ("128538", "equivalent", "mode", "mSv"),
        ("128540", "equivalent", "median", "mSv"),
    ],
)
def test_each_cid_10061_10062_code_gives_its_kind_and_statistic(
    value: str, kind: str, statistic: str, unit: str
) -> None:
    (estimate,) = _estimate(_dcm(value), "4", unit).estimates
    assert (estimate.kind, estimate.statistic, estimate.value, estimate.unit) == (
        kind,
        statistic,
        4.0,
        unit,
    )


@pytest.mark.parametrize(
    ("concept", "sent", "unit", "expected", "canonical"),
    [
        (_dcm("128531"), "0.004", "Gy", 4.0, "mGy"),
        (_dcm("128535"), "0.002", "Sv", 2.0, "mSv"),
        (EFFECTIVE_DOSE, "3000", "uSv", 3.0, "mSv"),
    ],
)
def test_values_come_back_in_the_canonical_unit(
    concept: Code, sent: str, unit: str, expected: float, canonical: str
) -> None:
    (estimate,) = _estimate(concept, sent, unit).estimates
    assert estimate.unit == canonical
    assert estimate.value == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    "concept",
    [
        Code("128533", "SCT", "not a DCM code"),  # a CID 10061 value under another scheme
        Code("113839", "SCT", "not a DCM code"),
        Code("113722", "DCM", "Dose Area Product Total"),
        Code("128530", "DCM", "below CID 10061"),
    ],
)
def test_a_num_outside_the_cids_is_not_read_with_a_finding(concept: Code) -> None:
    read = _estimate(concept)
    assert read.estimates == ()
    assert _findings(read) == [
        (
            "prdsr.value_not_read",
            "NUM outside CID 10061/10062 and Effective Dose; not read",
            "1.2",
            f"{concept.scheme_designator}:{concept.value}",
        )
    ]


def test_a_dose_num_without_a_value_is_skipped() -> None:
    dose = _num(_dcm("128533"), "1", "mGy")
    del dose.MeasuredValueSequence
    read = read_patient_radiation_dose(_prdsr([_methodology(), dose]))
    assert read.estimates == ()


def test_only_num_items_of_the_estimate_are_read_in_their_order() -> None:
    read = read_patient_radiation_dose(
        _prdsr(
            [
                _methodology(),
                _text(COMMENT, "not a value"),
                _num(EFFECTIVE_DOSE, "1", "mSv"),
                _num(_dcm("128531"), "2", "mGy"),
                _num(_dcm("128537"), "3", "mSv"),
            ]
        )
    )
    assert [(e.kind, e.value) for e in read.estimates] == [
        ("effective", 1.0),
        ("absorbed", 2.0),
        ("equivalent", 3.0),
    ]
    assert read.findings == ()


# --------------------------------------------------------------------------- qualifiers


@pytest.mark.parametrize(
    ("authority", "basis"),
    [
        (Code("113841", "DCM", "ICRP Pub 103"), "ICRP103"),
        (Code("113808", "DCM", "ICRP Pub 60"), "ICRP60"),
        (Code("113841", "SCT", "same value, another scheme"), None),
        (Code("999999", "DCM", "another authority"), None),
    ],
)
def test_the_reference_authority_gives_the_basis(authority: Code, basis: str | None) -> None:
    read = _estimate(EFFECTIVE_DOSE, "1", "mSv", [_coded(REFERENCE_AUTHORITY, authority)])
    (estimate,) = read.estimates
    assert estimate.basis == basis


def test_the_finding_site_scheme_and_value_are_kept() -> None:
    site = _coded(FINDING_SITE, Code("T-28000", "SRT", "Lung"))
    (estimate,) = _estimate(_dcm("128533"), children=[site]).estimates
    assert estimate.organ == ("SCT", "39607008")  # SRT T-28000 read as its SNOMED CT code


def test_a_finding_site_without_a_code_is_no_organ() -> None:
    site = _coded(FINDING_SITE, LUNG)
    del site.ConceptCodeSequence
    (estimate,) = _estimate(_dcm("128533"), children=[site]).estimates
    assert estimate.organ is None


def test_the_uncertainty_is_read_in_percent() -> None:
    (estimate,) = _estimate(_dcm("128533"), children=[_num(UNCERTAINTY, "0.4", "1")]).estimates
    assert estimate.uncertainty_pct == pytest.approx(40.0)


# --------------------------------------------------------------------------- sources


def test_every_source_is_read_with_its_event_uids() -> None:
    methodology = _methodology(
        _source(XRAY_RDSR, "1.2.3.4", ["1.2.3.4.1"]),
        _source("1.2.840.10008.5.1.4.1.1.88.68", "1.2.3.5", []),
    )
    read = read_patient_radiation_dose(_prdsr([methodology]))
    assert read.sources == (
        SourceUsed(XRAY_RDSR, "1.2.3.4", ("1.2.3.4.1",)),
        SourceUsed("1.2.840.10008.5.1.4.1.1.88.68", "1.2.3.5", ()),
    )
    assert read.estimates == ()
    assert read.findings == ()


def test_a_source_without_its_reference_is_empty_strings() -> None:
    read = read_patient_radiation_dose(_prdsr([_methodology(_source(None, "", ["1.9"]))]))
    assert read.sources == (SourceUsed("", "", ("1.9",)),)


def test_an_empty_event_uid_is_dropped_with_its_finding() -> None:
    source = _source(XRAY_RDSR, "1.2.3.4", ["1.2.3.4.1", "1.2.3.4.2"])
    del source.ContentSequence[0].UID
    read = read_patient_radiation_dose(_prdsr([_methodology(source)]))
    assert read.sources == (SourceUsed(XRAY_RDSR, "1.2.3.4", ("1.2.3.4.2",)),)
    assert _findings(read) == [
        ("value.empty_uid", "UIDREF item without a UID", "1.1.1.1", "DCM:128429")
    ]


# --------------------------------------------------------------------------- structure


def test_another_sop_class_is_read_with_a_finding() -> None:
    read = read_patient_radiation_dose(
        _prdsr([_methodology(), _num(EFFECTIVE_DOSE, "1", "mSv")], sop_class=XRAY_RDSR)
    )
    assert len(read.estimates) == 1
    assert _findings(read) == [
        ("template.unexpected_title", "not a Patient Radiation Dose SR", None, None)
    ]


def test_another_root_concept_is_read_with_a_finding() -> None:
    root = Code("113701", "DCM", "X-Ray Radiation Dose Report")
    read = read_patient_radiation_dose(
        _prdsr([_methodology(), _num(EFFECTIVE_DOSE, "1", "mSv")], root=root)
    )
    assert len(read.estimates) == 1
    assert _findings(read) == [("template.unexpected_title", "root concept DCM:113701", None, None)]


def test_no_estimate_container_is_a_mandatory_finding() -> None:
    read = read_patient_radiation_dose(_prdsr(None))
    assert (read.sources, read.estimates) == ((), ())
    assert _findings(read) == [
        (
            "template.missing_mandatory",
            "mandatory Radiation Dose Estimate (TID 10031) (DCM:128402 Radiation Dose "
            "Estimate) is missing",
            "root",
            "DCM:128402",
        )
    ]


def test_no_methodology_is_a_mandatory_finding_and_the_values_are_still_read() -> None:
    read = read_patient_radiation_dose(_prdsr([_num(EFFECTIVE_DOSE, "1", "mSv")]))
    assert read.sources == ()
    assert [e.value for e in read.estimates] == [1.0]
    assert _findings(read) == [
        (
            "template.missing_mandatory",
            "mandatory methodology (TID 10033) (DCM:128415 Radiation Dose Estimate "
            "Methodology) is missing",
            "1",
            "DCM:128415",
        )
    ]


def test_absent_header_uids_are_empty_strings() -> None:
    ds = _prdsr([_methodology()])
    del ds.SOPInstanceUID
    del ds.StudyInstanceUID
    read = read_patient_radiation_dose(ds)
    assert (read.study_instance_uid, read.sop_instance_uid) == ("", "")
    del ds.SOPClassUID
    assert _findings(read_patient_radiation_dose(ds)) == [
        ("template.unexpected_title", "not a Patient Radiation Dose SR", None, None)
    ]


def test_deviations_of_the_qualifiers_are_findings_not_crashes() -> None:
    authority = _coded(REFERENCE_AUTHORITY, Code("113841", "DCM", "ICRP Pub 103"))
    del authority.ConceptCodeSequence  # 1.2.1: a CODE item without its code
    uncertainty = _num(UNCERTAINTY, "30", "%")
    del uncertainty.MeasuredValueSequence[0].MeasurementUnitsCodeSequence  # 1.2.2: no unit
    event = _uid(EVENT_UID_USED, "1.2.3")
    del event.UID  # 1.2.3: a UIDREF without its UID
    read = _estimate(EFFECTIVE_DOSE, "1", "mSv", [authority, uncertainty, event])
    (estimate,) = read.estimates
    assert (estimate.basis, estimate.uncertainty_pct, estimate.event_uid) == (None, None, None)
    assert [(code, path) for code, _, path, _ in _findings(read)] == [
        ("value.empty_code", "1.2.1"),
        ("unit.missing", "1.2.2"),
        ("value.empty_uid", "1.2.3"),
    ]
