"""Radiopharmaceutical Radiation Dose SR (TID 10021-10025) against the corpus MANIFEST."""

from __future__ import annotations

import copy
import csv
import re
from pathlib import Path

import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.sr.coding import Code

from dosewatch.domain import codes
from dosewatch.domain.errors import MissingMandatoryItemError, StrictnessError
from dosewatch.domain.findings import Severity, Strictness
from dosewatch.domain.report import (
    DoseModality,
    Measurement,
    RadiopharmaceuticalAdministration,
    SourceKind,
)
from rdsr_parsers import parse, quirks
from rdsr_parsers.result import ParseResult

DATA = Path(__file__).resolve().parent.parent / "data" / "openrem"
FILES = ("NM-RRDSR-Siemens.dcm", "NM-RRDSR-Siemens-Extended.dcm")


def _manifest() -> dict[str, dict[str, str]]:
    with (DATA / "MANIFEST.csv").open(newline="", encoding="utf-8") as handle:
        return {row["file"]: row for row in csv.DictReader(handle)}


def _note_number(file: str, pattern: str) -> float:
    match = re.search(pattern, _manifest()[file]["notes"])
    assert match is not None, f"MANIFEST notes of {file} lack {pattern!r}"
    return float(match.group(1))


def _admin(result: ParseResult) -> RadiopharmaceuticalAdministration:
    (event,) = result.report.events
    assert isinstance(event, RadiopharmaceuticalAdministration)
    return event


def _measurement(admin: RadiopharmaceuticalAdministration, concept: Code) -> Measurement:
    found = [m for m in admin.other_measurements if codes.same(m.concept, concept)]
    assert len(found) == 1
    return found[0]


def _read(name: str) -> Dataset:
    return pydicom.dcmread(DATA / name)


@pytest.mark.parametrize("name", FILES)
def test_manifest_values(name: str) -> None:
    result = parse(DATA / name)
    report = result.report
    assert report.modality is DoseModality.NUCLEAR_MEDICINE
    assert report.source_kind is SourceKind.RADIOPHARMACEUTICAL_RDSR
    assert report.template_id == "10021"
    assert len(report.events) == int(_manifest()[name]["event_count"])
    admin = _admin(result)
    activity = _note_number(name, r"administered ([\d.]+) MBq")
    effective = _note_number(name, r"effective dose ([\d.]+) mSv")
    organ_count = _note_number(name, r"organ doses (\d+)")
    assert admin.administered_activity is not None
    assert admin.administered_activity.unit == "MBq"
    assert admin.administered_activity.value == pytest.approx(activity, rel=1e-6)
    assert admin.reported_effective_dose is not None
    assert admin.reported_effective_dose.unit == "mSv"
    assert admin.reported_effective_dose.value == pytest.approx(effective, rel=1e-6)
    assert admin.reported_dose_authority == "ICRP Publication 128"
    assert len(admin.organ_doses) == organ_count
    assert all(d.dose.unit == "mGy" for d in admin.organ_doses)
    assert all(d.reference_authority == "ICRP Publication 128" for d in admin.organ_doses)


@pytest.mark.parametrize("name", FILES)
def test_agent_radionuclide_route_and_identity(name: str) -> None:
    ds = _read(name)
    admin = _admin(parse(ds))
    fdg = Code("35321007", "SCT", "Fluorodeoxyglucose F^18^")
    fluorine_18 = Code("77004003", "SCT", "^18^Fluorine")
    assert codes.same(admin.radiopharmaceutical_agent, fdg)
    assert codes.same(admin.radionuclide, fluorine_18)
    assert admin.radionuclide_half_life is not None
    assert admin.radionuclide_half_life.value == pytest.approx(6586.2)
    assert admin.radionuclide_half_life.unit == "s"
    intravenous = Code("47625008", "SCT", "Intravenous route")
    assert codes.same(admin.route_of_administration, intravenous)
    assert admin.site_of_administration is not None
    assert admin.start_datetime is not None
    uid_items = [
        item
        for container in ds.ContentSequence
        for item in container.get("ContentSequence", [])
        if item.get("ValueType") == "UIDREF"
    ]
    assert admin.administration_event_uid == uid_items[0].UID


def test_procedure_from_associated_procedure() -> None:
    report = parse(DATA / FILES[0]).report
    assert codes.same(report.procedure_reported, Code("241443006", "SCT", "PET study"))
    assert codes.same(report.has_intent, codes.DIAGNOSTIC_INTENT)


def test_organ_doses_as_reported() -> None:
    admin = _admin(parse(DATA / FILES[0]))
    bladder = [d for d in admin.organ_doses if codes.same(d.organ, Code("89837001", "SCT", "x"))]
    assert len(bladder) == 1
    assert bladder[0].dose.value == pytest.approx(51.22)
    adrenal = admin.organ_doses[0]
    assert codes.same(adrenal.laterality, codes.RIGHT_AND_LEFT)
    assert admin.organ_doses[1].laterality is None  # bone surface: unpaired, none sent


def test_extended_optional_items() -> None:
    result = parse(DATA / FILES[1])
    admin = _admin(result)
    assert admin.pre_administration_measured_activity is not None
    assert admin.pre_administration_measured_activity.value == pytest.approx(11.0)
    assert admin.post_administration_measured_activity is not None
    assert admin.post_administration_measured_activity.value == pytest.approx(12.0)
    assert len(admin.intravenous_extravasation_symptoms) == 2
    # TID 10022 sends a percentage; the activity is derived from 250 MBq and recorded
    percent = _measurement(admin, codes.ESTIMATED_EXTRAVASATION_ACTIVITY)
    assert percent.value is not None
    assert (percent.value.value, percent.value.unit) == (10.0, "%")
    assert admin.estimated_extravasation_activity is not None
    assert admin.estimated_extravasation_activity.value == pytest.approx(25.0)
    assert any(f.code == "value.derived" for f in result.findings)
    assert admin.comment == "any comment"
    volume = _measurement(admin, codes.RADIOPHARMACEUTICAL_VOLUME)
    assert volume.value is not None
    assert volume.value.unit == "cm3"


def test_extended_patient_characteristics_kept_with_lower_case_units() -> None:
    result = parse(DATA / FILES[1])
    admin = _admin(result)
    gfr = _measurement(admin, Code("80274001", "SCT", "Glomerular Filtration Rate"))
    assert gfr.value is not None
    assert (gfr.value.value, gfr.value.unit) == (12.21, "mL/min{1.73_m2}")
    creatinine = _measurement(admin, Code("2160-0", "LN", "Serum Creatinine"))
    assert creatinine.value is not None
    assert creatinine.value.unit == "mg/dL"
    glucose = _measurement(admin, Code("14749-6", "LN", "Glucose"))
    assert glucose.value is not None
    assert glucose.value.unit == "mmol/L"
    messages = " ".join(f.message for f in result.findings if f.code == "unit.normalised")
    for quirk_id in ("U06", "U07", "U08", "U09"):
        assert f"quirk {quirk_id}" in messages
        assert quirks.by_id(quirk_id).evidence_file == FILES[1]


def test_nested_effective_dose_quirk() -> None:
    result = parse(DATA / FILES[0])
    found = [f for f in result.findings if f.code == "template.nonstandard_container"]
    assert len(found) == 1
    assert "quirk RP01" in found[0].message
    assert found[0].severity is Severity.INFO
    assert quirks.by_id("RP01").evidence_file == FILES[0]


def test_strict_accepts_the_real_files() -> None:
    for name in FILES:
        assert parse(DATA / name, Strictness.STRICT).report.events


def _without(ds: Dataset, concept_value: str, *, inside_administration: bool) -> Dataset:
    out = copy.deepcopy(ds)
    if inside_administration:
        for container in out.ContentSequence:
            if container.ConceptNameCodeSequence[0].CodeValue == "113502":
                container.ContentSequence = [
                    item
                    for item in container.ContentSequence
                    if item.ConceptNameCodeSequence[0].CodeValue != concept_value
                ]
    else:
        out.ContentSequence = [
            item
            for item in out.ContentSequence
            if item.ConceptNameCodeSequence[0].CodeValue != concept_value
        ]
    return out


def test_missing_event_uid_is_a_warning_with_a_derived_identity() -> None:
    ds = _without(_read(FILES[0]), "113503", inside_administration=True)
    result = parse(ds)
    uid = _admin(result).administration_event_uid
    assert uid is not None
    assert uid.startswith("2.25.")
    assert uid == _admin(parse(ds)).administration_event_uid  # deterministic
    assert not [f for f in result.findings if f.severity is Severity.ERROR]
    warnings = {f.code for f in result.findings if f.severity is Severity.WARNING}
    assert "event.uid_missing" in warnings
    # the derivation itself is a decision worth knowing (INFO), as for image headers
    infos = {f.code for f in result.findings if f.severity is Severity.INFO}
    assert "identity.derived_event_uid" in infos
    parse(ds, Strictness.STANDARD)  # the activity is intact: only identity is lost
    with pytest.raises(StrictnessError):
        parse(ds, Strictness.STRICT)


def test_no_administration_container_is_rejected() -> None:
    ds = _without(_read(FILES[0]), "113502", inside_administration=False)
    with pytest.raises(MissingMandatoryItemError, match="Radiopharmaceutical Administration"):
        parse(ds)


def test_patient_size_from_characteristics_when_header_lacks_it() -> None:
    ds = _read(FILES[1])
    del ds.PatientWeight
    del ds.PatientSize
    result = parse(ds)
    patient = result.report.patient
    assert patient.weight is not None
    assert (patient.weight.value, patient.weight.unit) == (68.0, "kg")
    assert patient.height is not None
    assert patient.height.value == pytest.approx(1.68)
    found = [f for f in result.findings if f.code == "patient.from_template"]
    assert len(found) == 1
    assert found[0].severity is Severity.INFO
    # with the header complete, nothing is taken from the template
    assert not [f for f in parse(DATA / FILES[1]).findings if f.code == "patient.from_template"]
