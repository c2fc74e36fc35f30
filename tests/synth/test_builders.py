"""Builders: valid Part 10 objects that pydicom reads, writes and re-reads."""

from __future__ import annotations

import io

import pydicom
import pytest
from pydicom.dataset import Dataset

from dosewatch.domain import codes
from dosewatch.synth import (
    INS_ISSUER_OID,
    Deviation,
    UidFactory,
    build_ct_report,
    build_mammography_report,
    build_projection_report,
    build_radiopharmaceutical_report,
    ct_report_bytes,
    read_dataset,
    to_bytes,
)
from dosewatch.synth.common import ds_str
from tests.synth.specs import CT_FULL, HEADER, TEMPLATES, build

SOP_CLASS = {
    "ct": "1.2.840.10008.5.1.4.1.1.88.67",
    "fluoro": "1.2.840.10008.5.1.4.1.1.88.67",
    "dx": "1.2.840.10008.5.1.4.1.1.88.67",
    "mg": "1.2.840.10008.5.1.4.1.1.88.67",
    "nm": "1.2.840.10008.5.1.4.1.1.88.68",
}
TEMPLATE_ID = {"ct": "10011", "fluoro": "10001", "dx": "10001", "mg": "10001", "nm": "10021"}


def _walk(ds: Dataset) -> list[Dataset]:
    out: list[Dataset] = []
    stack = list(ds.get("ContentSequence") or ())
    while stack:
        item = stack.pop()
        out.append(item)
        stack.extend(item.get("ContentSequence") or ())
    return out


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_pydicom_reads_writes_and_rereads(template: str) -> None:
    data = build(template)
    ds = pydicom.dcmread(io.BytesIO(data))
    assert ds.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.1"
    assert ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID
    assert ds.SOPClassUID == SOP_CLASS[template]
    assert ds.ContentTemplateSequence[0].TemplateIdentifier == TEMPLATE_ID[template]
    assert ds.Modality == "SR"
    items = _walk(ds)
    rewritten = pydicom.dcmread(io.BytesIO(to_bytes(ds)))
    assert rewritten.SOPInstanceUID == ds.SOPInstanceUID
    assert len(_walk(rewritten)) == len(items)
    # every content item is well formed (PS3.3 C.17.3)
    for item in items:
        assert item.RelationshipType
        assert item.ValueType in {"CONTAINER", "NUM", "CODE", "TEXT", "UIDREF", "DATETIME"}
        assert len(item.ConceptNameCodeSequence) == 1


def test_builder_datasets_have_file_meta_and_dcmwrite() -> None:
    for builder in (
        build_ct_report,
        build_projection_report,
        build_mammography_report,
        build_radiopharmaceutical_report,
    ):
        ds = builder()
        assert ds.file_meta.MediaStorageSOPClassUID == ds.SOPClassUID
        buffer = io.BytesIO()
        pydicom.dcmwrite(buffer, ds, enforce_file_format=True)
        assert pydicom.dcmread(io.BytesIO(buffer.getvalue())).SOPInstanceUID == ds.SOPInstanceUID


def test_patient_module_carries_ins_and_qualified_local_id() -> None:
    ds = read_dataset(build("ct"))
    assert ds.PatientID == "L000123"
    assert ds.IssuerOfPatientID == "FINESS-690000001"
    local = ds.IssuerOfPatientIDQualifiersSequence[0]
    assert (local.UniversalEntityID, local.UniversalEntityIDType) == (
        "1.2.250.1.71.4.2.1.690000001",
        "ISO",
    )
    (ins,) = ds.OtherPatientIDsSequence
    assert ins.PatientID == "269059912345678"
    qualifier = ins.IssuerOfPatientIDQualifiersSequence[0]
    assert (qualifier.UniversalEntityID, qualifier.UniversalEntityIDType) == (INS_ISSUER_OID, "ISO")
    assert (ds.PatientSex, ds.PatientBirthDate, ds.PatientAge) == ("F", "19690501", "055Y")
    assert float(ds.PatientWeight) == 64.5
    assert float(ds.PatientSize) == 1.62
    assert (ds.Manufacturer, ds.ManufacturerModelName, ds.DeviceSerialNumber) == (
        "ACME",
        "Model X",
        "SN42",
    )
    assert (ds.StationName, ds.InstitutionName) == ("ST42", "Clinique Test")


def test_device_observer_uid_is_in_the_observer_context() -> None:
    ds = read_dataset(build("fluoro"))
    uids = [
        item.UID
        for item in ds.ContentSequence
        if item.ValueType == "UIDREF"
        and item.ConceptNameCodeSequence[0].CodeValue == codes.DEVICE_OBSERVER_UID.value
    ]
    assert uids == [HEADER.device.observer_uid()]
    assert len(uids[0]) <= 64


def test_uids_are_deterministic_valid_and_distinct() -> None:
    first = UidFactory(7, "x")
    again = UidFactory(7, "x")
    other = UidFactory(8, "x")
    a = [first() for _ in range(50)]
    assert a == [again() for _ in range(50)]
    assert set(a).isdisjoint(other() for _ in range(50))
    assert len(set(a)) == 50
    for uid in a:
        assert uid.startswith("2.25.")
        assert len(uid) <= 64
        assert all(
            part.isdigit() and (part == "0" or not part.startswith("0")) for part in uid.split(".")
        )


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_same_seed_same_bytes(template: str) -> None:
    assert build(template, seed=3) == build(template, seed=3)
    assert build(template, seed=3) != build(template, seed=4)


def test_unsupported_deviation_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot inject"):
        ct_report_bytes(CT_FULL, deviations=[Deviation.UNIT_GYM2])
    with pytest.raises(ValueError, match="exclusive"):
        ct_report_bytes(CT_FULL, deviations=[Deviation.BIG_ENDIAN, Deviation.IMPLICIT_VR])


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (120.0, "120"),
        (0.5, "0.5"),
        (1e-05, "1e-05"),
        (1234.5678901234, "1234.56789"),
        (-3.25, "-3.25"),
    ],
)
def test_ds_strings_fit_sixteen_characters(value: float, text: str) -> None:
    assert ds_str(value) == text
    assert len(ds_str(value / 7)) <= 16
