"""Dose attributes of image headers (DX/CR/PX, MG, NM/PET, CT dose screen) vs the MANIFEST."""

from __future__ import annotations

import copy
import csv
import io
import re
from pathlib import Path

import pydicom
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.filewriter import dcmwrite
from pydicom.sr.coding import Code
from pydicom.uid import UID, ExplicitVRBigEndian, ImplicitVRLittleEndian, generate_uid

from dosewatch.domain import codes
from dosewatch.domain.errors import NotADoseObjectError, StrictnessError
from dosewatch.domain.findings import Severity, Strictness
from dosewatch.domain.report import (
    CtIrradiationEvent,
    DoseModality,
    DoseReport,
    MammographyIrradiationEvent,
    ProjectionIrradiationEvent,
    RadiopharmaceuticalAdministration,
    SourceKind,
)
from rdsr_parsers import parse, quirks, sop
from rdsr_parsers.result import ParseResult

DATA = Path(__file__).resolve().parent.parent / "data" / "openrem"

DX_FILES = (
    "DX-Im-Carestream_DR7500-1.dcm",
    "DX-Im-Carestream_DR7500-2.dcm",
    "DX-Im-Carestream_DRX.dcm",
    "DX-Im-DRGEM.dcm",
    "DX-Im-Date-Missing.dcm",
    "DX-Im-SiemensMultix.dcm",
    "PX-Im-NewTom_Go.dcm",
)
MG_FILES = (
    "MG-Im-GE-SenDS-scaled.dcm",
    "MG-Im-GE_Seno_1_ForPresentation.dcm",
    "MG-Im-GE_Seno_1_ForProcessing.dcm",
    "MG-Im-GE_Seno_2_ForPresentation.dcm",
)
NM_FILES = (
    "NM-NmIm-Siemens.dcm",
    "NM-NmIm-Siemens-s1-1.dcm",
    "NM-NmIm-Siemens-s1-2.dcm",
    "NM-PetIm-Siemens.dcm",
    "NM-PetIm-Siemens-2.dcm",
    "NM-PetIm-Siemens-3.dcm",
    "NM-PetIm-Siemens-3-sameseries.dcm",
)
CT_SC = "CT-SC-Philips_Brilliance16P.dcm"


def _manifest() -> dict[str, dict[str, str]]:
    with (DATA / "MANIFEST.csv").open(newline="", encoding="utf-8") as handle:
        return {row["file"]: row for row in csv.DictReader(handle)}


MANIFEST = _manifest()


def _note(name: str, pattern: str) -> re.Match[str]:
    match = re.search(pattern, MANIFEST[name]["notes"])
    assert match is not None, f"MANIFEST notes of {name} lack {pattern!r}"
    return match


def _read(name: str) -> Dataset:
    return pydicom.dcmread(DATA / name, stop_before_pixels=True)


def _codes_of(result: ParseResult) -> list[str]:
    return [f.code for f in result.findings]


def _projection(report: DoseReport) -> ProjectionIrradiationEvent:
    (event,) = report.events
    assert isinstance(event, ProjectionIrradiationEvent)
    return event


def _mammography(report: DoseReport) -> MammographyIrradiationEvent:
    (event,) = report.events
    assert isinstance(event, MammographyIrradiationEvent)
    return event


def _administration(report: DoseReport) -> RadiopharmaceuticalAdministration:
    (event,) = report.events
    assert isinstance(event, RadiopharmaceuticalAdministration)
    return event


# --------------------------------------------------------------------------- DX / CR / PX


@pytest.mark.parametrize("name", DX_FILES)
def test_projection_dap_and_kv_match_manifest(name: str) -> None:
    result = parse(DATA / name)
    report = result.report
    assert report.source_kind is SourceKind.IMAGE_HEADER
    assert report.modality is DoseModality.RADIOGRAPHY
    assert len(report.events) == int(MANIFEST[name]["event_count"])
    event = _projection(report)
    expected = float(MANIFEST[name]["total_dap_Gycm2"])
    header_dgy = float(_note(name, r"header DAP ([\d.]+) dGy\.cm2").group(1))
    assert expected == pytest.approx(header_dgy / 10, rel=1e-9)
    assert event.dose_area_product is not None
    assert event.dose_area_product.unit == "Gy.cm2"
    assert event.dose_area_product.value == pytest.approx(expected, rel=1e-6)
    (total,) = report.projection_accumulated
    assert total.dose_area_product_total == event.dose_area_product
    kv = float(_note(name, r"(\d+) kV").group(1))
    assert [q.value for q in event.kvp] == [kv]
    unit_findings = [f for f in result.findings if f.code == "unit.iod_convention"]
    assert [(f.severity, f.content_path) for f in unit_findings] == [(Severity.INFO, "(0018,115E)")]


def test_event_uid_is_irradiation_event_uid_else_sop_instance_uid() -> None:
    drx = _read("DX-Im-Carestream_DRX.dcm")
    assert _projection(parse(drx).report).irradiation_event_uid == drx.IrradiationEventUID
    kodak = _read("DX-Im-Carestream_DR7500-1.dcm")
    result = parse(kodak)
    assert _projection(result.report).irradiation_event_uid == kodak.SOPInstanceUID
    assert "identity.sop_as_event_uid" in _codes_of(result)


def test_exposure_index_values() -> None:
    event = _projection(parse(DATA / "DX-Im-Carestream_DRX.dcm").report)
    assert event.exposure_index is not None
    assert event.exposure_index.value == pytest.approx(256.88)
    assert event.target_exposure_index is not None
    assert event.target_exposure_index.value == pytest.approx(226.22)
    assert event.deviation_index is not None
    assert event.deviation_index.value == pytest.approx(0.55)


def test_comma_inside_filter_values_gives_two_filters_with_findings() -> None:
    name = "DX-Im-Carestream_DR7500-2.dcm"
    result = parse(DATA / name)
    event = _projection(result.report)
    materials = [f.material for f in event.filters]
    assert codes.code_key(materials[0]) in codes.ALUMINUM_KEYS  # type: ignore[arg-type]
    assert codes.code_key(materials[1]) in codes.COPPER_KEYS  # type: ignore[arg-type]
    minimum = [f.thickness_minimum.value for f in event.filters if f.thickness_minimum]
    maximum = [f.thickness_maximum.value for f in event.filters if f.thickness_maximum]
    assert minimum == [1.06, 0.206]
    assert maximum == [0.94, 0.194]
    separators = [f for f in result.findings if f.code == "encoding.separator_in_value"]
    assert {f.content_path for f in separators} == {"(0018,7050)", "(0018,7052)", "(0018,7054)"}
    assert all(f.severity is Severity.WARNING for f in separators)
    assert quirks.by_id("IH03").evidence_file == name


def test_decimals_in_integer_attributes_are_kept() -> None:
    name = "DX-Im-DRGEM.dcm"
    assert _read(name).file_meta.TransferSyntaxUID == ImplicitVRLittleEndian
    result = parse(DATA / name)
    event = _projection(result.report)
    assert event.exposure is not None
    assert event.exposure.value == pytest.approx(40.196)
    assert event.exposure.unit == "mA.s"
    assert event.exposure_time is not None
    assert event.exposure_time.value == pytest.approx(0.1613)
    decimal_paths = {f.content_path for f in result.findings if f.code == "encoding.decimal_in_is"}
    assert decimal_paths == {"(0018,1150)", "(0018,1152)"}
    assert result.report.patient.patient_id is None
    assert quirks.by_id("IH04").evidence_file == name


def test_missing_study_date_is_a_finding_not_a_crash() -> None:
    result = parse(DATA / "DX-Im-Date-Missing.dcm")
    assert result.report.study.study_date is None
    assert "study.date_missing" in _codes_of(result)


def test_copper_filter_from_filter_type_text() -> None:
    name = "DX-Im-SiemensMultix.dcm"
    result = parse(DATA / name)
    (flt,) = _projection(result.report).filters
    assert codes.code_key(flt.material) in codes.COPPER_KEYS  # type: ignore[arg-type]
    assert flt.thickness_minimum is not None
    assert (flt.thickness_minimum.value, flt.thickness_minimum.unit) == (0.2, "mm")
    found = [f for f in result.findings if f.code == "filter.from_filter_type"]
    assert len(found) == 1
    assert "quirk IH02" in found[0].message
    assert quirks.by_id("IH02").evidence_file == name


def _dx_without_dose() -> Dataset:
    ds = _read("DX-Im-Carestream_DRX.dcm")
    del ds.ImageAndFluoroscopyAreaDoseProduct
    return ds


def test_image_without_dose_attributes_is_not_a_dose_object() -> None:
    with pytest.raises(NotADoseObjectError, match="image without dose attributes"):
        parse(_dx_without_dose())


def test_entrance_dose_alone_is_dose_information() -> None:
    ds = _dx_without_dose()
    ds.EntranceDoseInmGy = "0.35"
    event = _projection(parse(ds).report)
    assert event.dose_area_product is None
    (entrance,) = event.other_measurements
    assert codes.same(entrance.concept, codes.ENTRANCE_EXPOSURE_AT_RP)
    assert entrance.value is not None
    assert (entrance.value.value, entrance.value.unit) == (0.35, "mGy")


def test_rf_image_with_fluoroscopic_setting_is_fluoroscopy() -> None:
    ds = _read("DX-Im-Carestream_DRX.dcm")
    ds.SOPClassUID = sop.RF_IMAGE
    ds.RadiationSetting = "SC"
    report = parse(ds).report
    assert report.modality is DoseModality.FLUOROSCOPY
    assert codes.same(_projection(report).event_type, codes.FLUOROSCOPY)
    (total,) = report.projection_accumulated
    assert total.fluoro_dose_area_product_total == _projection(report).dose_area_product


# --------------------------------------------------------------------------- MG


@pytest.mark.parametrize("name", MG_FILES)
def test_mammography_values_match_manifest(name: str) -> None:
    result = parse(DATA / name)
    report = result.report
    assert report.modality is DoseModality.MAMMOGRAPHY
    assert len(report.events) == int(MANIFEST[name]["event_count"])
    event = _mammography(report)
    agd = float(_note(name, r"AGD ([\d.]+) mGy").group(1))
    esak = float(_note(name, r"ESAK ([\d.]+) mGy").group(1))
    thickness = float(_note(name, r"thickness ([\d.]+) mm").group(1))
    anode, filter_material, kv = _note(name, r"([A-Z]+)/([A-Z]+) (\d+) kV").groups()
    assert event.average_glandular_dose is not None
    assert event.average_glandular_dose.unit == "mGy"
    assert event.average_glandular_dose.value == pytest.approx(agd, rel=1e-6)
    assert event.entrance_exposure_at_rp is not None
    assert event.entrance_exposure_at_rp.value == pytest.approx(esak, rel=1e-6)
    assert event.compression_thickness is not None
    assert event.compression_thickness.value == pytest.approx(thickness, rel=1e-6)
    assert [q.value for q in event.kvp] == [float(kv)]
    keys = {"MOLYBDENUM": codes.MOLYBDENUM_KEYS, "RHODIUM": codes.RHODIUM_KEYS}
    assert codes.code_key(event.anode_target_material) in keys[anode]  # type: ignore[arg-type]
    (flt,) = event.filters
    assert codes.code_key(flt.material) in keys[filter_material]  # type: ignore[arg-type]
    assert codes.same(event.laterality, codes.LEFT)  # "CC L" in the notes
    cranio_caudal = Code("399162004", "SCT", "cranio-caudal")
    assert codes.same(event.image_view, cranio_caudal)
    (breast,) = report.mammography_accumulated
    assert codes.same(breast.laterality, codes.LEFT)
    assert breast.accumulated_average_glandular_dose == event.average_glandular_dose
    assert report.presentation_intent == _read(name).PresentationIntentType


def test_for_processing_and_for_presentation_twins_share_the_event_uid() -> None:
    presentation = _mammography(parse(DATA / "MG-Im-GE_Seno_1_ForPresentation.dcm").report)
    processing = _mammography(parse(DATA / "MG-Im-GE_Seno_1_ForProcessing.dcm").report)
    other = _mammography(parse(DATA / "MG-Im-GE_Seno_2_ForPresentation.dcm").report)
    assert presentation.irradiation_event_uid == processing.irradiation_event_uid
    assert presentation.irradiation_event_uid != other.irradiation_event_uid
    assert presentation.irradiation_event_uid is not None
    assert presentation.irradiation_event_uid.startswith("2.25.")


def test_irradiation_event_uid_wins_over_the_derived_key() -> None:
    uid = generate_uid()
    uids = set()
    for name in ("MG-Im-GE_Seno_1_ForPresentation.dcm", "MG-Im-GE_Seno_1_ForProcessing.dcm"):
        ds = _read(name)
        ds.IrradiationEventUID = uid
        result = parse(ds)
        uids.add(_mammography(result.report).irradiation_event_uid)
        assert "identity.derived_event_uid" not in _codes_of(result)
    assert uids == {uid}


def test_utf8_names_are_decoded() -> None:
    report = parse(DATA / "MG-Im-GE-SenDS-scaled.dcm").report
    assert report.patient.name is not None
    assert not report.patient.name.isascii()


def test_unknown_anode_word_is_kept_in_a_finding() -> None:
    ds = _read("MG-Im-GE_Seno_2_ForPresentation.dcm")
    ds.AnodeTargetMaterial = "UNOBTAINIUM"
    result = parse(ds)
    assert _mammography(result.report).anode_target_material is None
    found = [f for f in result.findings if f.code == "code.unmapped_text"]
    assert "UNOBTAINIUM" in found[0].message


# --------------------------------------------------------------------------- NM / PET


@pytest.mark.parametrize("name", NM_FILES)
def test_administered_activity_matches_manifest(name: str) -> None:
    result = parse(DATA / name)
    report = result.report
    assert report.modality is DoseModality.NUCLEAR_MEDICINE
    assert report.source_kind is SourceKind.IMAGE_HEADER
    assert len(report.events) == int(MANIFEST[name]["event_count"])
    admin = _administration(report)
    agent, activity, _raw, unit, iod = _note(
        name, r"(\w+) activity ([\d.]+) MBq \(raw (\d+) (MBq|Bq) per (NM|PET) IOD\)"
    ).groups()
    assert admin.administered_activity is not None
    assert admin.administered_activity.unit == "MBq"
    assert admin.administered_activity.value == pytest.approx(float(activity), rel=1e-6)
    assert admin.radiopharmaceutical_name == agent
    (finding,) = [f for f in result.findings if f.code == "unit.iod_convention"]
    assert f"read as {unit} per the {iod} Image IOD" in finding.message


def test_one_injection_in_several_series_is_one_administration() -> None:
    def uid(name: str) -> tuple[str | None, str | None]:
        report = parse(DATA / name).report
        return _administration(report).administration_event_uid, report.study.series_instance_uid

    nm_1, series_1 = uid("NM-NmIm-Siemens-s1-1.dcm")
    nm_2, series_2 = uid("NM-NmIm-Siemens-s1-2.dcm")
    assert nm_1 == nm_2
    assert series_1 != series_2
    assert nm_1 != uid("NM-NmIm-Siemens.dcm")[0]
    pet = {uid(name)[0] for name in NM_FILES if "PetIm" in name}
    assert len(pet) == 1


def test_pet_same_series_without_administration_uid_still_one_identity() -> None:
    uids = set()
    for name in ("NM-PetIm-Siemens-3.dcm", "NM-PetIm-Siemens-3-sameseries.dcm"):
        ds = _read(name)
        del ds.RadiopharmaceuticalInformationSequence[0].RadiopharmaceuticalAdministrationEventUID
        result = parse(ds)
        assert "identity.derived_event_uid" in _codes_of(result)
        uids.add(_administration(result.report).administration_event_uid)
    assert len(uids) == 1


def test_same_number_is_mbq_in_nm_and_bq_in_pet() -> None:
    nm_image = _read("NM-NmIm-Siemens.dcm")  # 764 in an NM image: 764 MBq
    as_pet = copy.deepcopy(nm_image)
    as_pet.SOPClassUID = sop.PET_IMAGE
    nm_activity = _administration(parse(nm_image).report).administered_activity
    result = parse(as_pet)
    pet_activity = _administration(result.report).administered_activity
    assert nm_activity is not None
    assert pet_activity is not None
    assert nm_activity.value == pytest.approx(764.0)
    assert pet_activity.value == pytest.approx(764.0e-6)
    implausible = [f for f in result.findings if f.code == "value.implausible"]
    assert [f.severity for f in implausible] == [Severity.WARNING]


def test_radionuclide_private_scheme_quirk() -> None:
    name = "NM-NmIm-Siemens.dcm"
    result = parse(DATA / name)
    technetium_99m = Code("72454006", "SCT", "Technetium Tc^99m^")
    assert codes.same(_administration(result.report).radionuclide, technetium_99m)
    (found,) = [f for f in result.findings if f.code == "code.private_scheme"]
    assert "quirk IH05" in found.message
    assert quirks.by_id("IH05").evidence_file == name


def test_nm_image_without_radiopharmaceutical_sequence_is_rejected() -> None:
    ds = _read("NM-NmIm-Siemens.dcm")
    del ds.RadiopharmaceuticalInformationSequence
    with pytest.raises(NotADoseObjectError, match="image without dose attributes"):
        parse(ds)


# --------------------------------------------------------------------------- CT


def _per_event_manifest(name: str) -> list[tuple[float, float]]:
    text = _note(name, r"CTDIvol/DLP per event ([\d.;/ ]+)").group(1)
    pairs = [p.strip().split("/") for p in text.split(";") if p.strip()]
    return [(float(c), float(d)) for c, d in pairs]


def test_philips_dose_screen_events_and_total() -> None:
    result = parse(DATA / CT_SC)
    report = result.report
    assert report.source_kind is SourceKind.VENDOR_SUMMARY
    assert report.modality is DoseModality.CT
    expected = _per_event_manifest(CT_SC)
    assert len(report.events) == int(MANIFEST[CT_SC]["event_count"]) == len(expected)
    for event, (ctdivol, dlp) in zip(report.events, expected, strict=True):
        assert isinstance(event, CtIrradiationEvent)
        assert event.ctdivol is not None
        assert event.dlp is not None
        assert (event.ctdivol.unit, event.dlp.unit) == ("mGy", "mGy.cm")
        # the MANIFEST prints per-event values to 2 decimals: half a last digit
        assert event.ctdivol.value == pytest.approx(ctdivol, abs=0.005)
        assert event.dlp.value == pytest.approx(dlp, abs=0.005)
    assert report.ct_accumulated is not None
    assert report.ct_accumulated.dlp_total is not None
    total = float(MANIFEST[CT_SC]["total_dlp_mGycm"])
    assert report.ct_accumulated.dlp_total.value == pytest.approx(total, rel=1e-6)
    assert report.ct_accumulated.total_number_of_irradiation_events == 4
    private = [f for f in result.findings if f.code == "vendor.private_dose_element"]
    assert len(private) == 5
    assert all("quirk IH01" in f.message for f in private)
    assert quirks.by_id("IH01").evidence_file == CT_SC
    uids = [e.irradiation_event_uid for e in report.events]
    assert len(set(uids)) == 4
    assert uids == [e.irradiation_event_uid for e in parse(DATA / CT_SC).report.events]


def test_private_dlp_read_through_its_creator_block() -> None:
    """The DLP follows its private creator when the block moves to another element range."""
    ds = _read(CT_SC)
    moved = copy.deepcopy(ds)
    block = ds.private_block(0x00E1, "ELSCINT1")
    total = ds[block.get_tag(0x21)].value
    for tag in [elem.tag for elem in moved if elem.tag.group == 0x00E1]:
        del moved[tag]
    moved.add_new(0x00E10030, "LO", "ELSCINT1")
    moved.add_new(0x00E13021, "DS", total)
    report = parse(moved).report
    assert report.ct_accumulated is not None
    assert report.ct_accumulated.dlp_total is not None
    assert report.ct_accumulated.dlp_total.value == pytest.approx(1102.44609)


def test_secondary_capture_without_dose_is_rejected() -> None:
    ds = _read(CT_SC)
    del ds.ExposureDoseSequence
    with pytest.raises(NotADoseObjectError, match="image without dose attributes"):
        parse(ds)


def _ct_slice(study: str, series: str, instance: int, ctdivol: float | None) -> Dataset:
    ds = Dataset()
    ds.SOPClassUID = sop.CT_IMAGE
    ds.SOPInstanceUID = generate_uid()
    ds.StudyInstanceUID = study
    ds.SeriesInstanceUID = series
    ds.StudyDate = "20240102"
    ds.Modality = "CT"
    ds.AcquisitionNumber = "1"
    ds.InstanceNumber = str(instance)
    ds.KVP = "120"
    if ctdivol is not None:
        ds.CTDIvol = ctdivol
    return ds


def test_ct_image_ctdivol_slices_of_one_acquisition_share_the_event() -> None:
    study, series = generate_uid(), generate_uid()
    first = parse(_ct_slice(study, series, 1, 12.5)).report
    second = parse(_ct_slice(study, series, 2, 12.5)).report
    (event,) = first.events
    assert isinstance(event, CtIrradiationEvent)
    assert event.ctdivol is not None
    assert (event.ctdivol.value, event.ctdivol.unit) == (12.5, "mGy")
    assert first.modality is DoseModality.CT
    assert event.irradiation_event_uid == second.events[0].irradiation_event_uid
    with pytest.raises(NotADoseObjectError, match="CT image without dose attributes"):
        parse(_ct_slice(study, series, 3, None))


# --------------------------------------------------------------------------- encodings


def _rewritten(name: str, transfer_syntax: UID) -> bytes:
    ds = _read(name)
    ds.remove_private_tags()
    ds.file_meta.TransferSyntaxUID = transfer_syntax
    buffer = io.BytesIO()
    dcmwrite(
        buffer,
        ds,
        implicit_vr=transfer_syntax == ImplicitVRLittleEndian,
        little_endian=transfer_syntax != ExplicitVRBigEndian,
        force_encoding=True,
    )
    data = buffer.getvalue()
    assert pydicom.dcmread(io.BytesIO(data)).file_meta.TransferSyntaxUID == transfer_syntax
    return data


@pytest.mark.parametrize("transfer_syntax", [ExplicitVRBigEndian, ImplicitVRLittleEndian])
@pytest.mark.parametrize(
    "name", ["DX-Im-Carestream_DR7500-2.dcm", "MG-Im-GE_Seno_2_ForPresentation.dcm"]
)
def test_transfer_syntax_round_trip(name: str, transfer_syntax: UID) -> None:
    original = parse(DATA / name).report
    rewritten = parse(_rewritten(name, transfer_syntax)).report
    assert rewritten.events == original.events
    assert rewritten.projection_accumulated == original.projection_accumulated
    assert rewritten.mammography_accumulated == original.mammography_accumulated


def test_big_endian_binary_ctdivol() -> None:
    ds = _ct_slice(generate_uid(), generate_uid(), 1, 7.200978719152135)
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.file_meta.TransferSyntaxUID = ExplicitVRBigEndian
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    (event,) = parse(buffer.getvalue()).report.events
    assert isinstance(event, CtIrradiationEvent)
    assert event.ctdivol is not None
    assert event.ctdivol.value == pytest.approx(7.200978719152135, rel=1e-12)


# --------------------------------------------------------------------------- strictness


@pytest.mark.parametrize(
    "name",
    [
        "DX-Im-Carestream_DRX.dcm",
        "MG-Im-GE_Seno_1_ForProcessing.dcm",
        "NM-PetIm-Siemens.dcm",
        CT_SC,
    ],
)
def test_strict_accepts_clean_headers(name: str) -> None:
    result = parse(DATA / name, Strictness.STRICT)
    assert all(f.severity is Severity.INFO for f in result.findings)


def test_strict_rejects_repaired_encodings() -> None:
    with pytest.raises(StrictnessError, match=r"encoding\.decimal_in_is"):
        parse(DATA / "DX-Im-DRGEM.dcm", Strictness.STRICT)
