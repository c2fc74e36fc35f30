"""Content-first recognition: one synthetic case per deviation class of issue #12.

Each case (``dosewatch.synth.image_headers``) carries dose content where its SOP Class
does not lead; the report must hold exactly the dose the object holds, in canonical units
(DAP dGy.cm2 x 0.1 = Gy.cm2 and Organ Dose dGy x 100 = mGy, PS3.3 C.8.7.x / C.8.11.7), with
one finding naming the decision.
"""

from __future__ import annotations

import pytest

from dosewatch.domain.errors import NotADoseObjectError
from dosewatch.domain.finding_codes import FindingCode, Severity
from dosewatch.domain.report import (
    CtIrradiationEvent,
    DoseModality,
    MammographyIrradiationEvent,
    ProjectionIrradiationEvent,
    RadiopharmaceuticalAdministration,
)
from dosewatch.synth.image_headers import (
    ACTIVITY_MBQ,
    CTDIVOL_MGY,
    DAP_DGY_CM2,
    MOJIBAKE_NAME,
    ORGAN_DOSE_DGY,
    HeaderDeviation,
    image_header_bytes,
)
from rdsr_parsers import ParseResult, parse
from rdsr_parsers.mojibake import is_mojibake


def _parse(deviation: HeaderDeviation) -> ParseResult:
    return parse(image_header_bytes(deviation))


def _codes(result: ParseResult) -> list[FindingCode]:
    return [f.code for f in result.findings]


def test_every_class_is_deterministic_and_tested() -> None:
    tested = {
        HeaderDeviation.CT_DOSE_IN_DX_CLASS,
        HeaderDeviation.MG_DOSE_IN_DX_CLASS,
        HeaderDeviation.NM_IN_SECONDARY_CAPTURE,
        HeaderDeviation.UNKNOWN_SOP_CLASS,
        HeaderDeviation.EMPTY_MANUFACTURER,
        HeaderDeviation.CTDIVOL_IN_FUNCTIONAL_GROUP,
        HeaderDeviation.NO_DOSE_CONTENT,
        HeaderDeviation.MOJIBAKE,
    }
    assert tested == set(HeaderDeviation)
    for deviation in HeaderDeviation:
        assert image_header_bytes(deviation) == image_header_bytes(deviation)


def test_ct_dose_in_a_dx_object_is_read_as_ct() -> None:
    result = _parse(HeaderDeviation.CT_DOSE_IN_DX_CLASS)
    assert result.report.modality is DoseModality.CT
    (event,) = result.report.events
    assert isinstance(event, CtIrradiationEvent) and event.ctdivol is not None
    assert (event.ctdivol.value, event.ctdivol.unit) == (CTDIVOL_MGY, "mGy")
    (decision,) = [f for f in result.findings if f.code is FindingCode.RECOGNITION_BY_CONTENT]
    assert decision.severity is Severity.WARNING
    assert (
        "CTDIvol (0018,9345)" in decision.message
        and "1.2.840.10008.5.1.4.1.1.1.1" in decision.message
    )


def test_breast_organ_dose_in_a_dx_object_is_read_as_mammography() -> None:
    result = _parse(HeaderDeviation.MG_DOSE_IN_DX_CLASS)
    assert result.report.modality is DoseModality.MAMMOGRAPHY
    (event,) = result.report.events
    assert isinstance(event, MammographyIrradiationEvent)
    assert event.average_glandular_dose is not None
    agd = event.average_glandular_dose.to("mGy")
    assert agd.value == pytest.approx(ORGAN_DOSE_DGY * 100, rel=1e-12)  # 1 dGy = 100 mGy
    (decision,) = [f for f in result.findings if f.code is FindingCode.RECOGNITION_BY_CONTENT]
    assert "Body Part Examined BREAST" in decision.message
    assert "Anode Target Material MOLYBDENUM" in decision.message


def test_radiopharmaceutical_sequence_in_a_secondary_capture_is_read_as_nm() -> None:
    result = _parse(HeaderDeviation.NM_IN_SECONDARY_CAPTURE)
    assert result.report.modality is DoseModality.NUCLEAR_MEDICINE
    (event,) = result.report.events
    assert isinstance(event, RadiopharmaceuticalAdministration)
    assert event.administered_activity is not None
    assert event.administered_activity.to("MBq").value == pytest.approx(ACTIVITY_MBQ)
    assert FindingCode.RECOGNITION_BY_CONTENT in _codes(result)


def test_unknown_sop_class_with_dap_is_read_as_fluoroscopy() -> None:
    result = _parse(HeaderDeviation.UNKNOWN_SOP_CLASS)
    assert result.report.modality is DoseModality.FLUOROSCOPY  # Modality XA
    (event,) = result.report.events
    assert isinstance(event, ProjectionIrradiationEvent)
    assert event.dose_area_product is not None
    kap = event.dose_area_product.to("Gy.cm2").value
    assert kap == pytest.approx(DAP_DGY_CM2 / 10, rel=1e-12)  # 1 dGy.cm2 = 0.1 Gy.cm2
    (decision,) = [f for f in result.findings if f.code is FindingCode.RECOGNITION_BY_CONTENT]
    assert "unknown image class" in decision.message


def test_empty_manufacturer_and_contradicting_modality_are_findings() -> None:
    result = _parse(HeaderDeviation.EMPTY_MANUFACTURER)
    assert result.report.modality is DoseModality.RADIOGRAPHY
    codes = _codes(result)
    assert FindingCode.DEVICE_MANUFACTURER_MISSING in codes
    assert FindingCode.RECOGNITION_MODALITY_MISMATCH in codes
    assert FindingCode.RECOGNITION_BY_CONTENT not in codes  # the SOP Class was right
    (event,) = result.report.events
    assert isinstance(event, ProjectionIrradiationEvent) and event.dose_area_product is not None
    assert event.dose_area_product.to("Gy.cm2").value == pytest.approx(DAP_DGY_CM2 / 10)


def test_ctdivol_only_in_the_functional_group_is_found() -> None:
    result = _parse(HeaderDeviation.CTDIVOL_IN_FUNCTIONAL_GROUP)
    (event,) = result.report.events
    assert isinstance(event, CtIrradiationEvent) and event.ctdivol is not None
    assert event.ctdivol.value == CTDIVOL_MGY
    assert FindingCode.RECOGNITION_BY_CONTENT not in _codes(result)


def test_no_dose_content_is_rejected_saying_what_was_looked_for() -> None:
    with pytest.raises(NotADoseObjectError) as caught:
        _parse(HeaderDeviation.NO_DOSE_CONTENT)
    message = str(caught.value)
    for looked_for in (
        "CTDIvol (0018,9345)",
        "Exposure Dose Sequence (0040,030E)",
        "Organ Dose (0040,0316)",
        "(0040,8302)",
        "Image and Fluoroscopy Area Dose Product (0018,115E)",
        "Radiopharmaceutical Information Sequence (0054,0016)",
    ):
        assert looked_for in message


def test_mojibake_is_a_finding_naming_attributes_never_values() -> None:
    result = _parse(HeaderDeviation.MOJIBAKE)
    (finding,) = [f for f in result.findings if f.code is FindingCode.ENCODING_MOJIBAKE]
    assert finding.severity is Severity.WARNING
    assert "PatientName" in finding.message and "InstitutionName" in finding.message
    assert "ISO_IR 100" in finding.message
    assert "ller" not in finding.message  # never the name itself
    assert result.report.patient.name == MOJIBAKE_NAME.encode("utf-8").decode("latin-1")
    # the same name correctly encoded is not mojibake
    assert FindingCode.ENCODING_MOJIBAKE not in _codes(_parse(HeaderDeviation.EMPTY_MANUFACTURER))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("MÃ¼ller", True),  # UTF-8 ü read as Latin-1
        ("Klinikum SÃ¼d", True),
        ("â€“ CT", True),  # UTF-8 en dash read as Windows-1252
        ("Müller", False),  # a real Latin-1 name
        ("Ørsted", False),
        ("plain ASCII", False),
        ("山田^太郎", False),  # correct multibyte text
    ],
)
def test_mojibake_detector(text: str, expected: bool) -> None:
    assert is_mojibake(text) is expected
