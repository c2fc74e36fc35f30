"""TID 10021 Radiopharmaceutical Radiation Dose SR reader: every field and finding pinned.

The objects are built item by item after PS3.16 TID 10021 (root DCM:113500 with
Associated Procedure SCT:363589002 and its Has Intent), TID 10022 Radiopharmaceutical
Administration Event Data (DCM:113502: agent SCT:349358000 with Radionuclide and its Half
Life, event UID DCM:113503, start/stop DateTime, Administered activity DCM:113507 in MBq,
pre/post-administration activities, Route of administration with Site of, Intravenous
Extravasation Symptoms, Estimated Extravasation Activity DCM:113506 in %, Comment), TID
10023 Organ Dose Information (DCM:113517: Finding Site, Laterality, Organ Dose DCM:113518
in mGy, Mass in g, Measurement Method, Reference Authority), the Effective Dose
(DCM:113839, mSv) and TID 10024 Patient Characteristics (DCM:121118).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import pytest
from pydicom.dataset import Dataset
from pydicom.sr.coding import Code

from dosewatch.domain import codes
from dosewatch.domain.errors import MissingMandatoryItemError
from dosewatch.domain.report import (
    DoseModality,
    Measurement,
    OrganDose,
    RadiopharmaceuticalAdministration,
)
from dosewatch.domain.units import Quantity
from rdsr_parsers import parse
from rdsr_parsers.result import ParseResult

RRDSR = "1.2.840.10008.5.1.4.1.1.88.68"
FDG = Code("35321007", "SCT", "Fluorodeoxyglucose F^18^")
F18 = Code("77004003", "SCT", "^18^Fluorine")
INTRAVENOUS = Code("47625008", "SCT", "Intravenous route")
ARM = Code("14975008", "SCT", "Forearm")
PET = Code("241443006", "SCT", "PET study")
LIVER = Code("10200004", "SCT", "Liver")
KIDNEY = Code("64033007", "SCT", "Kidney")
ICRP_128 = "ICRP Publication 128"
UID = "1.2.826.0.1.3680043.10.11.9"


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


def _kids(ds: Dataset, children: Sequence[Dataset]) -> Dataset:
    if children:
        ds.ContentSequence = list(children)
    return ds


def num(
    concept: Code, value: str, unit: str, children: Sequence[Dataset] = (), rel: str = "CONTAINS"
) -> Dataset:
    ds = _item("NUM", concept, rel)
    measured = Dataset()
    measured.NumericValue = value
    measured.MeasurementUnitsCodeSequence = [_code(Code(unit, "UCUM", unit))]
    ds.MeasuredValueSequence = [measured]
    return _kids(ds, children)


def coded(
    concept: Code, value: Code, children: Sequence[Dataset] = (), rel: str = "CONTAINS"
) -> Dataset:
    ds = _item("CODE", concept, rel)
    ds.ConceptCodeSequence = [_code(value)]
    return _kids(ds, children)


def text(concept: Code, value: str, rel: str = "HAS PROPERTIES") -> Dataset:
    ds = _item("TEXT", concept, rel)
    ds.TextValue = value
    return ds


def container(concept: Code, children: Sequence[Dataset]) -> Dataset:
    ds = _item("CONTAINER", concept)
    ds.ContinuityOfContent = "SEPARATE"
    ds.ContentSequence = list(children)
    return ds


def when(concept: Code, value: str) -> Dataset:
    ds = _item("DATETIME", concept)
    ds.DateTime = value
    return ds


def organ(
    site: Code | None = LIVER,
    dose: tuple[str, str] | None = ("12.5", "mGy"),
    *,
    extra: Sequence[Dataset] = (),
    dose_children: Sequence[Dataset] | None = None,
    site_children: Sequence[Dataset] = (),
) -> Dataset:
    children: list[Dataset] = []
    if site is not None:
        children.append(coded(codes.FINDING_SITE, site, site_children, "HAS CONCEPT MOD"))
    children.extend(extra)
    if dose_children is None:
        dose_children = [text(codes.REFERENCE_AUTHORITY, ICRP_128)]
    if dose is not None:
        children.append(num(codes.ORGAN_DOSE, *dose, children=dose_children))
    return container(codes.ORGAN_DOSE_INFORMATION, children)


def administration(
    *,
    extra: Sequence[Dataset] = (),
    omit: frozenset[str] = frozenset(),
    activity: tuple[str, str] = ("250", "MBq"),
    agent_children: Sequence[Dataset] | None = None,
) -> Dataset:
    """One TID 10022 container: 1 agent, 2 UID, 3 start, 4 activity, 5 route, then ``extra``."""
    if agent_children is None:
        agent_children = [
            coded(codes.RADIONUCLIDE, F18, rel="HAS PROPERTIES"),
            num(codes.RADIONUCLIDE_HALF_LIFE, "6586.2", "s", rel="HAS PROPERTIES"),
        ]
    uid = _item("UIDREF", codes.RADIOPHARMACEUTICAL_ADMINISTRATION_EVENT_UID)
    uid.UID = UID
    items = {
        "agent": coded(codes.RADIOPHARMACEUTICAL_AGENT, FDG, agent_children),
        "uid": uid,
        "start": when(codes.RADIOPHARMACEUTICAL_START_DATETIME, "20240102101500"),
        "activity": num(codes.ADMINISTERED_ACTIVITY, *activity),
        "route": coded(
            codes.ROUTE_OF_ADMINISTRATION,
            INTRAVENOUS,
            [coded(codes.SITE_OF, ARM, rel="HAS PROPERTIES")],
        ),
    }
    children = [item for name, item in items.items() if name not in omit]
    return container(codes.RADIOPHARMACEUTICAL_ADMINISTRATION, [*children, *extra])


def rrdsr(
    content: Sequence[Dataset],
    *,
    procedure: bool = True,
    patient: dict[str, str] | None = None,
) -> Dataset:
    ds = Dataset()
    ds.SOPClassUID = RRDSR
    ds.SOPInstanceUID = "1.2.826.0.1.3680043.10.11.1"
    ds.StudyInstanceUID = "1.2.826.0.1.3680043.10.11.2"
    ds.SeriesInstanceUID = "1.2.826.0.1.3680043.10.11.3"
    ds.Modality = "SR"
    ds.StudyDate = ds.ContentDate = "20240102"
    ds.StudyTime = ds.ContentTime = "101500"
    ds.Manufacturer = "SYNTHETIC"
    ds.ManufacturerModelName = "Builder"
    for keyword, value in (patient or {}).items():
        setattr(ds, keyword, value)
    ds.ValueType = "CONTAINER"
    ds.ContinuityOfContent = "SEPARATE"
    ds.ConceptNameCodeSequence = [_code(codes.RADIOPHARMACEUTICAL_RADIATION_DOSE_REPORT)]
    template = Dataset()
    template.MappingResource = "DCMR"
    template.TemplateIdentifier = "10021"
    ds.ContentTemplateSequence = [template]
    root: list[Dataset] = []
    if procedure:
        intent = coded(codes.HAS_INTENT, codes.DIAGNOSTIC_INTENT, rel="HAS CONCEPT MOD")
        root.append(coded(codes.ASSOCIATED_PROCEDURE, PET, [intent], "HAS CONCEPT MOD"))
    ds.ContentSequence = [*root, *content]
    return ds


def _admin(result: ParseResult) -> RadiopharmaceuticalAdministration:
    (event,) = result.report.events
    assert isinstance(event, RadiopharmaceuticalAdministration)
    return event


def _findings(result: ParseResult, code: str) -> list[tuple[str, str | None, str | None]]:
    return [(f.message, f.content_path, f.concept) for f in result.findings if f.code == code]


def _measurements(
    admin: RadiopharmaceuticalAdministration,
) -> list[tuple[str, str, object, str | None]]:
    return [
        (
            f"{m.concept.scheme_designator}:{m.concept.value}",
            m.concept.meaning,
            None if m.value is None else (m.value.value, m.value.unit),
            m.content_path,
        )
        for m in admin.other_measurements
    ]


SIEMENS_EFFECTIVE = Code("220001", "99SHS", "Effective Dose Information")


def _effective(value: str = "4.75", unit: str = "mSv", children: Sequence[Dataset] = ()) -> Dataset:
    return num(codes.EFFECTIVE_DOSE, value, unit, children)


# --------------------------------------------------------------------------- the report


def test_a_full_administration_is_read_field_by_field() -> None:
    extra = [
        num(codes.PRE_ADMINISTRATION_MEASURED_ACTIVITY, "260", "MBq"),  # 2.6
        num(codes.POST_ADMINISTRATION_MEASURED_ACTIVITY, "10", "MBq"),  # 2.7
        when(codes.RADIOPHARMACEUTICAL_STOP_DATETIME, "20240102101700"),  # 2.8
        coded(codes.INTRAVENOUS_EXTRAVASATION_SYMPTOMS, Code("95382004", "SCT", "Swelling")),
        coded(codes.INTRAVENOUS_EXTRAVASATION_SYMPTOMS, Code("95398006", "SCT", "Pain")),
        organ(),  # 2.11
        organ(KIDNEY, ("3", "mGy")),  # 2.12
        _effective(children=[text(codes.REFERENCE_AUTHORITY, ICRP_128)]),  # 2.13
        text(codes.COMMENT, "bolus", "CONTAINS"),  # 2.14
        num(codes.RADIOPHARMACEUTICAL_VOLUME, "5", "cm3"),  # 2.15
    ]
    result = parse(rrdsr([administration(extra=extra)]))
    report = result.report
    assert report.modality is DoseModality.NUCLEAR_MEDICINE
    assert report.procedure_reported == PET
    assert report.has_intent == codes.DIAGNOSTIC_INTENT
    assert _admin(result) == RadiopharmaceuticalAdministration(
        administration_event_uid=UID,
        radiopharmaceutical_agent=FDG,
        radiopharmaceutical_name=FDG.meaning,
        radionuclide=F18,
        radionuclide_half_life=Quantity(6586.2, "s"),
        administered_activity=Quantity(250.0, "MBq"),
        pre_administration_measured_activity=Quantity(260.0, "MBq"),
        post_administration_measured_activity=Quantity(10.0, "MBq"),
        route_of_administration=INTRAVENOUS,
        site_of_administration=ARM,
        start_datetime=datetime(2024, 1, 2, 10, 15),
        stop_datetime=datetime(2024, 1, 2, 10, 17),
        intravenous_extravasation_symptoms=(
            Code("95382004", "SCT", "Swelling"),
            Code("95398006", "SCT", "Pain"),
        ),
        estimated_extravasation_activity=None,
        organ_doses=(
            OrganDose(LIVER, None, Quantity(12.5, "mGy"), reference_authority=ICRP_128),
            OrganDose(KIDNEY, None, Quantity(3.0, "mGy"), reference_authority=ICRP_128),
        ),
        reported_effective_dose=Quantity(4.75, "mSv"),
        reported_effective_dose_method=None,
        reported_dose_authority=ICRP_128,
        comment="bolus",
        other_measurements=(
            Measurement(codes.RADIOPHARMACEUTICAL_VOLUME, Quantity(5.0, "cm3"), "2.15"),
        ),
    )
    assert result.findings == ()


def test_no_administration_is_refused_with_its_full_message() -> None:
    with pytest.raises(MissingMandatoryItemError) as refused:
        parse(rrdsr([]))
    assert refused.value.message == (
        "Radiopharmaceutical Radiation Dose SR without any Radiopharmaceutical "
        "Administration container (DCM:113502, TID 10022)"
    )
    assert (refused.value.content_path, refused.value.concept) == ("root", "DCM:113502")


def test_administrations_are_read_in_their_order() -> None:
    second = administration(activity=("100", "MBq"))
    second.ContentSequence[1].UID = "1.2.826.0.1.3680043.10.11.10"
    events = parse(rrdsr([administration(), second])).report.events
    assert [(e.irradiation_event_uid, e.administered_activity) for e in events] == [  # type: ignore[union-attr]
        (UID, Quantity(250.0, "MBq")),
        ("1.2.826.0.1.3680043.10.11.10", Quantity(100.0, "MBq")),
    ]


def test_without_associated_procedure_there_is_no_procedure() -> None:
    report = parse(rrdsr([administration()], procedure=False)).report
    assert report.procedure_reported is None and report.has_intent is None


def test_procedure_reported_wins_over_associated_procedure() -> None:
    ds = rrdsr([administration()])
    reported = coded(codes.PROCEDURE_REPORTED, codes.MAMMOGRAPHY, rel="HAS CONCEPT MOD")
    ds.ContentSequence = [reported, *ds.ContentSequence]
    report = parse(ds).report
    assert report.procedure_reported == codes.MAMMOGRAPHY
    assert report.has_intent is None


# --------------------------------------------------------------------------- mandatory items


def _mandatory(result: ParseResult) -> list[tuple[str, str | None, str | None]]:
    return _findings(result, "template.missing_mandatory")


def test_a_missing_agent_is_a_mandatory_finding_and_no_radionuclide() -> None:
    result = parse(rrdsr([administration(omit=frozenset({"agent"}))]))
    admin = _admin(result)
    assert admin.radiopharmaceutical_agent is None
    assert admin.radiopharmaceutical_name is None
    assert admin.radionuclide is None and admin.radionuclide_half_life is None
    assert _mandatory(result) == [
        (
            "mandatory agent (SCT:349358000 Radiopharmaceutical agent) is missing",
            "2",
            "SCT:349358000",
        )
    ]


def test_missing_radionuclide_and_half_life_are_named_under_the_agent() -> None:
    result = parse(rrdsr([administration(agent_children=[])]))
    admin = _admin(result)
    assert admin.radiopharmaceutical_agent == FDG
    assert admin.radionuclide is None and admin.radionuclide_half_life is None
    assert _mandatory(result) == [
        ("mandatory radionuclide (SCT:89457008 Radionuclide) is missing", "2.1", "SCT:89457008"),
        (
            "mandatory radionuclide half life (SCT:304283002 Radionuclide Half Life) is missing",
            "2.1",
            "SCT:304283002",
        ),
    ]


def test_a_half_life_in_minutes_is_read_in_seconds() -> None:
    children = [
        coded(codes.RADIONUCLIDE, F18, rel="HAS PROPERTIES"),
        num(codes.RADIONUCLIDE_HALF_LIFE, "109.77", "min", rel="HAS PROPERTIES"),
    ]
    result = parse(rrdsr([administration(agent_children=children)]))
    half_life = _admin(result).radionuclide_half_life
    assert half_life is not None and half_life.unit == "s"
    assert half_life.value == pytest.approx(6586.2)
    assert _findings(result, "unit.unexpected") == [
        ("unit min where the template prescribes s; converted", "2.1.2", "SCT:304283002")
    ]


def test_a_missing_activity_is_a_mandatory_finding() -> None:
    result = parse(rrdsr([administration(omit=frozenset({"activity"}))]))
    assert _admin(result).administered_activity is None
    assert _mandatory(result) == [
        (
            "mandatory administered activity (DCM:113507 Administered activity) is missing",
            "2",
            "DCM:113507",
        )
    ]


def test_an_activity_in_gbq_is_read_in_mbq() -> None:
    result = parse(rrdsr([administration(activity=("0.25", "GBq"))]))
    assert _admin(result).administered_activity == Quantity(250.0, "MBq")
    assert _findings(result, "unit.unexpected") == [
        ("unit GBq where the template prescribes MBq; converted", "2.4", "DCM:113507")
    ]


def test_pre_and_post_activities_are_read_in_mbq_without_being_mandatory() -> None:
    extra = [
        num(codes.PRE_ADMINISTRATION_MEASURED_ACTIVITY, "260000", "kBq"),  # 2.6
        num(codes.POST_ADMINISTRATION_MEASURED_ACTIVITY, "0.01", "GBq"),  # 2.7
    ]
    result = parse(rrdsr([administration(extra=extra)]))
    admin = _admin(result)
    assert admin.pre_administration_measured_activity == Quantity(260.0, "MBq")
    assert admin.post_administration_measured_activity is not None
    assert admin.post_administration_measured_activity.value == pytest.approx(10.0)
    assert [p for _, p, _ in _findings(result, "unit.unexpected")] == ["2.6", "2.7"]
    bare = _admin(parse(rrdsr([administration()])))
    assert bare.pre_administration_measured_activity is None
    assert bare.post_administration_measured_activity is None


def test_a_missing_start_is_a_mandatory_finding() -> None:
    result = parse(rrdsr([administration(omit=frozenset({"start"}))]))
    assert _admin(result).start_datetime is None
    assert _mandatory(result) == [
        (
            "mandatory start datetime (DCM:123003 Radiopharmaceutical Start DateTime) is missing",
            "2",
            "DCM:123003",
        )
    ]


def test_a_missing_route_is_a_mandatory_finding_and_no_site() -> None:
    result = parse(rrdsr([administration(omit=frozenset({"route"}))]))
    admin = _admin(result)
    assert admin.route_of_administration is None and admin.site_of_administration is None
    assert _mandatory(result) == [
        (
            "mandatory route (SCT:410675002 Route of administration) is missing",
            "2",
            "SCT:410675002",
        )
    ]


def test_a_route_without_site_has_no_site() -> None:
    ds = rrdsr([administration()])
    del ds.ContentSequence[1].ContentSequence[4].ContentSequence
    admin = _admin(parse(ds))
    assert admin.route_of_administration == INTRAVENOUS
    assert admin.site_of_administration is None


# --------------------------------------------------------------------------- identity


def test_a_missing_uid_is_derived_from_study_agent_start_and_activity() -> None:
    from rdsr_parsers.images.identity import administration_uid

    result = parse(rrdsr([administration(omit=frozenset({"uid"}))]))
    derived = administration_uid(
        "1.2.826.0.1.3680043.10.11.2", "SCT:35321007", datetime(2024, 1, 2, 10, 15), 250.0
    )
    assert _admin(result).administration_event_uid == derived
    assert _findings(result, "identity.derived_event_uid") == [
        (
            f"administration without an event UID; derived {derived} from study, agent, "
            "start datetime and activity",
            "2",
            "DCM:113503",
        )
    ]
    ((_message, path, concept),) = _findings(result, "event.uid_missing")
    assert (path, concept) == ("2", "DCM:113503")


def test_a_derived_uid_without_agent_or_activity_uses_none_for_them() -> None:
    from rdsr_parsers.images.identity import administration_uid

    result = parse(rrdsr([administration(omit=frozenset({"uid", "agent", "activity"}))]))
    derived = administration_uid(
        "1.2.826.0.1.3680043.10.11.2", None, datetime(2024, 1, 2, 10, 15), None
    )
    assert _admin(result).administration_event_uid == derived


# --------------------------------------------------------------------------- extravasation


def test_an_extravasation_percentage_gives_the_activity_with_a_finding() -> None:
    extra = [num(codes.ESTIMATED_EXTRAVASATION_ACTIVITY, "10", "%")]  # 2.6
    result = parse(rrdsr([administration(extra=extra)]))
    admin = _admin(result)
    assert admin.estimated_extravasation_activity == Quantity(25.0, "MBq")
    assert admin.other_measurements == (
        Measurement(codes.ESTIMATED_EXTRAVASATION_ACTIVITY, Quantity(10.0, "%"), "2.6"),
    )
    assert _findings(result, "value.derived") == [
        (
            "extravasated activity 25 MBq derived from 10 % of the administered 250 MBq",
            "2.6",
            "DCM:113506",
        )
    ]


def test_the_extravasation_percentage_comes_first_among_the_measurements() -> None:
    extra = [
        num(codes.RADIOPHARMACEUTICAL_VOLUME, "5", "cm3"),  # 2.6
        num(codes.ESTIMATED_EXTRAVASATION_ACTIVITY, "2.5", "%"),  # 2.7
    ]
    admin = _admin(parse(rrdsr([administration(extra=extra)])))
    assert [m.content_path for m in admin.other_measurements] == ["2.7", "2.6"]
    assert admin.estimated_extravasation_activity is not None
    assert admin.estimated_extravasation_activity.value == pytest.approx(6.25)


def test_an_extravasation_percentage_without_activity_is_kept_alone() -> None:
    extra = [num(codes.ESTIMATED_EXTRAVASATION_ACTIVITY, "10", "%")]
    result = parse(rrdsr([administration(extra=extra, omit=frozenset({"activity"}))]))
    admin = _admin(result)
    assert admin.estimated_extravasation_activity is None
    assert [m.value for m in admin.other_measurements] == [Quantity(10.0, "%")]
    assert _findings(result, "value.derived") == []


def test_an_extravasation_activity_is_read_as_such_with_a_finding() -> None:
    extra = [num(codes.ESTIMATED_EXTRAVASATION_ACTIVITY, "5000", "kBq")]  # 2.6
    result = parse(rrdsr([administration(extra=extra)]))
    admin = _admin(result)
    assert admin.estimated_extravasation_activity == Quantity(5.0, "MBq")
    assert admin.other_measurements == ()
    assert _findings(result, "unit.unexpected") == [
        (
            "extravasation sent as an activity (kBq) where TID 10022 prescribes %; "
            "read as activity",
            "2.6",
            "DCM:113506",
        )
    ]


def test_an_extravasation_in_another_unit_is_not_used() -> None:
    extra = [num(codes.ESTIMATED_EXTRAVASATION_ACTIVITY, "3", "mGy")]
    result = parse(rrdsr([administration(extra=extra)]))
    admin = _admin(result)
    assert admin.estimated_extravasation_activity is None
    assert admin.other_measurements == ()
    assert _findings(result, "unit.inconvertible") == [
        ("estimated extravasation in 'mGy'; neither % nor activity; not used", "2.6", "DCM:113506")
    ]


def test_an_extravasation_without_a_value_is_nothing() -> None:
    item = num(codes.ESTIMATED_EXTRAVASATION_ACTIVITY, "3", "%")
    item.MeasuredValueSequence = []
    result = parse(rrdsr([administration(extra=[item])]))
    admin = _admin(result)
    assert admin.estimated_extravasation_activity is None
    assert admin.other_measurements == ()
    assert _findings(result, "value.derived") == []


def test_an_extravasation_without_a_unit_is_nothing() -> None:
    item = num(codes.ESTIMATED_EXTRAVASATION_ACTIVITY, "3", "%")
    del item.MeasuredValueSequence[0].MeasurementUnitsCodeSequence
    result = parse(rrdsr([administration(extra=[item])]))
    admin = _admin(result)
    assert admin.estimated_extravasation_activity is None
    assert admin.other_measurements == ()
    assert _findings(result, "value.derived") == []
    assert _findings(result, "unit.inconvertible") == []


# --------------------------------------------------------------------------- TID 10023


def _organs(*organs: Dataset) -> ParseResult:
    return parse(rrdsr([administration(extra=organs)]))


DROPPED = ("organ dose without organ code or dose value; not used", "2.6", "DCM:113517")


def test_an_organ_dose_without_site_is_dropped_with_two_findings() -> None:
    result = _organs(organ(site=None))
    assert _admin(result).organ_doses == ()
    assert _mandatory(result) == [
        (
            "mandatory organ (Finding Site) (SCT:363698007 Finding Site) is missing",
            "2.6",
            "SCT:363698007",
        )
    ]
    assert _findings(result, "value.dropped") == [DROPPED]


def test_an_organ_dose_without_dose_is_dropped_with_two_findings() -> None:
    result = _organs(organ(dose=None))
    assert _admin(result).organ_doses == ()
    assert _mandatory(result) == [
        ("mandatory Organ Dose (DCM:113518 Organ Dose) is missing", "2.6", "DCM:113518")
    ]
    assert _findings(result, "value.dropped") == [DROPPED]


def test_an_organ_dose_without_a_value_or_a_site_code_is_dropped() -> None:
    no_value = organ()
    no_value.ContentSequence[1].MeasuredValueSequence = []
    no_code = organ(KIDNEY)
    del no_code.ContentSequence[0].ConceptCodeSequence
    result = _organs(no_value, no_code, organ(KIDNEY, ("1", "mGy")))
    assert [d.organ for d in _admin(result).organ_doses] == [KIDNEY]
    assert [p for _, p, _ in _findings(result, "value.dropped")] == ["2.6", "2.7"]
    assert _mandatory(result) == []


def test_an_organ_dose_in_gray_is_read_in_milligray() -> None:
    result = _organs(organ(dose=("0.002", "Gy")))
    (dose,) = _admin(result).organ_doses
    assert dose.dose == Quantity(2.0, "mGy")
    assert _findings(result, "unit.unexpected") == [
        ("unit Gy where the template prescribes mGy; converted", "2.6.2", "DCM:113518")
    ]


def test_laterality_beside_the_site_wins_over_one_under_it() -> None:
    beside = coded(codes.LATERALITY, codes.LEFT, rel="HAS CONCEPT MOD")
    under = [coded(codes.LATERALITY, codes.RIGHT, rel="HAS CONCEPT MOD")]
    both = organ(KIDNEY, extra=[beside], site_children=under)
    only_under = organ(KIDNEY, site_children=under)
    doses = _admin(_organs(both, only_under, organ())).organ_doses
    assert [d.laterality for d in doses] == [codes.LEFT, codes.RIGHT, None]


def test_mass_method_and_authority_of_an_organ_dose() -> None:
    method_code = Code("113574", "DCM", "MIRD")
    coded_method = coded(codes.MEASUREMENT_METHOD, method_code, rel="HAS CONCEPT MOD")
    text_method = text(codes.MEASUREMENT_METHOD, "OLINDA")
    authority = coded(codes.REFERENCE_AUTHORITY, Code("113841", "DCM", "ICRP Pub 103"))
    mass_with_method = num(codes.MASS, "1.8", "kg", [text_method], "HAS PROPERTIES")
    doses = _admin(
        _organs(
            # method on the dose item wins over the mass item's
            organ(extra=[mass_with_method], dose_children=[coded_method, authority]),
            # no method on the dose item: the mass item's
            organ(
                extra=[num(codes.MASS, "300", "g", [text_method], "HAS PROPERTIES")],
                dose_children=[],
            ),
            # a mass without method and no dose method: none
            organ(extra=[num(codes.MASS, "300", "g", rel="HAS PROPERTIES")], dose_children=[]),
        )
    ).organ_doses
    assert [(d.mass, d.method, d.reference_authority) for d in doses] == [
        (Quantity(1800.0, "g"), method_code, Code("113841", "DCM", "ICRP Pub 103")),
        (Quantity(300.0, "g"), "OLINDA", None),
        (Quantity(300.0, "g"), None, None),
    ]


def test_a_mass_in_kilograms_is_converted_with_a_finding() -> None:
    result = _organs(organ(extra=[num(codes.MASS, "1.8", "kg", rel="HAS PROPERTIES")]))
    assert _findings(result, "unit.unexpected") == [
        ("unit kg where the template prescribes g; converted", "2.6.2", "SCT:118538004")
    ]


# --------------------------------------------------------------------------- effective dose


def test_an_effective_dose_in_microsievert_is_read_in_millisievert() -> None:
    result = parse(rrdsr([administration(extra=[_effective("4750", "uSv")])]))
    assert _admin(result).reported_effective_dose == Quantity(4.75, "mSv")
    assert _findings(result, "unit.unexpected") == [
        ("unit uSv where the template prescribes mSv; converted", "2.6", "DCM:113839")
    ]


def test_the_effective_dose_method_and_coded_authority() -> None:
    children = [
        coded(codes.MEASUREMENT_METHOD, Code("113574", "DCM", "MIRD"), rel="HAS CONCEPT MOD"),
        coded(codes.REFERENCE_AUTHORITY, Code("113841", "DCM", "ICRP Pub 103")),
    ]
    admin = _admin(parse(rrdsr([administration(extra=[_effective(children=children)])])))
    assert admin.reported_effective_dose_method == Code("113574", "DCM", "MIRD")
    assert admin.reported_dose_authority == Code("113841", "DCM", "ICRP Pub 103")


def test_a_nested_effective_dose_is_read_with_a_finding() -> None:
    nested = container(SIEMENS_EFFECTIVE, [_effective()])  # 2.6, its dose 2.6.1
    result = parse(rrdsr([administration(extra=[nested])]))
    assert _admin(result).reported_effective_dose == Quantity(4.75, "mSv")
    assert _findings(result, "template.nonstandard_container") == [
        ("effective dose nested in container 99SHS:220001; read as reported", "2.6.1", "DCM:113839")
    ]


def test_a_nested_effective_dose_of_a_siemens_device_names_the_quirk() -> None:
    nested = container(SIEMENS_EFFECTIVE, [_effective()])
    ds = rrdsr([administration(extra=[nested])])
    ds.Manufacturer = "SIEMENS"
    result = parse(ds)
    assert _findings(result, "template.nonstandard_container") == [
        (
            "effective dose nested in container 99SHS:220001 (quirk RP01); read as reported",
            "2.6.1",
            "DCM:113839",
        )
    ]


def test_the_first_effective_dose_in_document_order_is_used() -> None:
    nested = container(SIEMENS_EFFECTIVE, [_effective("1")])  # 2.6.1
    result = parse(rrdsr([administration(extra=[nested, _effective("2"), _effective("3")])]))
    assert _admin(result).reported_effective_dose == Quantity(1.0, "mSv")
    assert _findings(result, "value.multiple") == [
        ("3 effective doses in one administration; the first is used", "2.6.1", "DCM:113839")
    ]


def test_an_effective_dose_inside_an_organ_dose_or_not_a_num_is_not_read() -> None:
    in_organ = organ(extra=[_effective("9")])
    as_text = text(codes.EFFECTIVE_DOSE, "4.75 mSv", "CONTAINS")
    result = parse(rrdsr([administration(extra=[in_organ, as_text])]))
    admin = _admin(result)
    assert admin.reported_effective_dose is None
    assert admin.reported_effective_dose_method is None
    assert admin.reported_dose_authority is None
    assert len(admin.organ_doses) == 1
    assert _findings(result, "value.multiple") == []


# --------------------------------------------------------------------------- measurements


def test_other_nums_are_kept_as_sent_at_any_depth_outside_the_fields() -> None:
    unnamed = num(Code("99", "99X", "x"), "1", "1")
    del unnamed.ConceptNameCodeSequence  # no concept: not a measurement
    no_meaning = num(Code("123007", "DCM", "Specific Activity"), "10.1", "Bq/mmol")
    del no_meaning.ConceptNameCodeSequence[0].CodeMeaning
    empty = num(codes.RADIOPHARMACEUTICAL_VOLUME, "5", "cm3")
    empty.MeasuredValueSequence = []
    extra = [
        container(Code("220002", "99SHS", "Private"), [num(Code("1", "99SHS", "P"), "2", "s")]),
        no_meaning,  # 2.7
        empty,  # 2.8
        unnamed,  # 2.9
        num(
            codes.PRE_ADMINISTRATION_MEASURED_ACTIVITY,
            "260",
            "MBq",
            [num(Code("2", "99SHS", "Q"), "3", "s")],
        ),
        organ(extra=[num(codes.MASS, "300", "g", rel="HAS PROPERTIES")]),
    ]
    admin = _admin(parse(rrdsr([administration(extra=extra)])))
    assert _measurements(admin) == [
        ("99SHS:1", "P", (2.0, "s"), "2.6.1"),
        ("DCM:123007", "123007", (10.1, "Bq/mmol"), "2.7"),
        ("DCM:123005", "Radiopharmaceutical Volume", None, "2.8"),
    ]


# --------------------------------------------------------------------------- TID 10024


def _characteristics(*items: Dataset) -> Dataset:
    return container(codes.PATIENT_CHARACTERISTICS, items)


def _patient_items() -> list[Dataset]:
    return [
        num(codes.SUBJECT_AGE, "47", "a"),  # 3.1
        coded(codes.SUBJECT_SEX, Code("F", "DCM", "Female")),  # 3.2
        num(codes.BODY_HEIGHT, "168", "cm"),  # 3.3
        num(codes.BODY_WEIGHT, "68000", "g"),  # 3.4
        num(Code("14749-6", "LN", "Glucose"), "5.1", "mmol/L"),  # 3.5
    ]


def test_the_header_gaps_are_filled_from_the_characteristics_with_one_finding() -> None:
    result = parse(rrdsr([administration(), _characteristics(*_patient_items())]))
    patient = result.report.patient
    assert (patient.sex, patient.age, patient.weight) == (
        "F",
        Quantity(47.0, "a"),
        Quantity(68.0, "kg"),
    )
    assert patient.height is not None and patient.height.unit == "m"
    assert patient.height.value == pytest.approx(1.68)
    assert _findings(result, "patient.from_template") == [
        (
            "patient age, height, sex, weight absent from the header; taken from the "
            "Radiopharmaceutical Administration Patient Characteristics (TID 10024)",
            "3",
            "DCM:121118",
        )
    ]


def test_the_characteristics_are_measurements_of_every_administration() -> None:
    second = administration()
    second.ContentSequence[1].UID = "1.2.826.0.1.3680043.10.11.10"
    result = parse(rrdsr([administration(), second, _characteristics(*_patient_items())]))
    for event in result.report.events:
        assert isinstance(event, RadiopharmaceuticalAdministration)
        assert [m.content_path for m in event.other_measurements] == [
            "4.1",
            "4.3",
            "4.4",
            "4.5",
        ]


def test_the_header_values_are_kept() -> None:
    header = {
        "PatientSex": "M",
        "PatientAge": "050Y",
        "PatientWeight": "80",
        "PatientSize": "1.8",
    }
    result = parse(rrdsr([administration(), _characteristics(*_patient_items())], patient=header))
    patient = result.report.patient
    assert (patient.sex, patient.age, patient.weight, patient.height) == (
        "M",
        Quantity(50.0, "a"),
        Quantity(80.0, "kg"),
        Quantity(1.8, "m"),
    )
    assert _findings(result, "patient.from_template") == []


def test_only_the_missing_header_values_are_named() -> None:
    header = {"PatientSex": "M", "PatientWeight": "80"}
    result = parse(rrdsr([administration(), _characteristics(*_patient_items())], patient=header))
    ((message, _, _),) = _findings(result, "patient.from_template")
    assert message.startswith("patient age, height absent from the header;")
    assert result.report.patient.weight == Quantity(80.0, "kg")
    assert result.report.patient.sex == "M"


@pytest.mark.parametrize("unit", ["a", "mo", "wk", "d"])
def test_an_age_in_a_dicom_age_unit_is_taken(unit: str) -> None:
    result = parse(rrdsr([administration(), _characteristics(num(codes.SUBJECT_AGE, "3", unit))]))
    assert result.report.patient.age == Quantity(3.0, unit)


def test_an_age_in_another_unit_or_without_value_is_not_taken() -> None:
    hours = num(codes.SUBJECT_AGE, "3", "h")
    result = parse(rrdsr([administration(), _characteristics(hours)]))
    assert result.report.patient.age is None
    assert _findings(result, "patient.from_template") == []
    empty = num(codes.SUBJECT_AGE, "3", "a")
    empty.MeasuredValueSequence = []
    assert parse(rrdsr([administration(), _characteristics(empty)])).report.patient.age is None


@pytest.mark.parametrize(
    ("sex", "letter"),
    [
        (Code("M", "DCM", "Male"), "M"),
        (Code("248153007", "SCT", "Male"), "M"),
        (Code("F", "DCM", "Female"), "F"),
        (Code("248152002", "SCT", "Female"), "F"),
        (Code("O", "DCM", "Other"), "O"),
        (Code("U", "DCM", "Unknown"), None),
    ],
)
def test_the_subject_sex_code_gives_the_header_letter(sex: Code, letter: str | None) -> None:
    result = parse(rrdsr([administration(), _characteristics(coded(codes.SUBJECT_SEX, sex))]))
    assert result.report.patient.sex == letter
    assert bool(_findings(result, "patient.from_template")) is (letter is not None)


def test_empty_characteristics_change_nothing() -> None:
    result = parse(rrdsr([administration(), _characteristics()]))
    assert result.report.patient.sex is None
    assert _findings(result, "patient.from_template") == []
    assert _admin(result).other_measurements == ()


def _empty(item: Dataset) -> Dataset:
    """The CODE item without its Concept Code Sequence."""
    del item.ConceptCodeSequence
    return item


def test_deviations_inside_an_administration_are_findings_not_crashes() -> None:
    method = Code("113574", "DCM", "MIRD")
    with_site_laterality = organ(
        site_children=[_empty(coded(codes.LATERALITY, codes.LEFT, rel="HAS CONCEPT MOD"))],
        dose_children=[
            _empty(coded(codes.MEASUREMENT_METHOD, method, rel="HAS CONCEPT MOD")),
            _empty(coded(codes.REFERENCE_AUTHORITY, method)),
        ],
    )  # 2.7: site 2.7.1 (its laterality 2.7.1.1), dose 2.7.2 (method 2.7.2.1, authority 2.7.2.2)
    mass = num(
        codes.MASS,
        "300",
        "g",
        [_empty(coded(codes.MEASUREMENT_METHOD, method, rel="HAS CONCEPT MOD"))],
        "HAS PROPERTIES",
    )
    with_mass_method = organ(KIDNEY, extra=[mass], dose_children=[])  # 2.8: mass 2.8.2
    extra = [
        when(codes.RADIOPHARMACEUTICAL_STOP_DATETIME, "not a date"),  # 2.6
        with_site_laterality,
        with_mass_method,
        _empty(coded(codes.INTRAVENOUS_EXTRAVASATION_SYMPTOMS, Code("1", "SCT", "x"))),  # 2.9
    ]
    result = parse(rrdsr([administration(extra=extra)]))
    admin = _admin(result)
    assert admin.stop_datetime is None
    assert admin.intravenous_extravasation_symptoms == ()
    first, second = admin.organ_doses
    assert (first.laterality, first.method, first.reference_authority) == (None, None, None)
    assert (second.organ, second.method) == (KIDNEY, None)
    assert sorted(
        f.content_path or "" for f in result.findings if f.code == "value.empty_code"
    ) == [
        "2.7.1.1",
        "2.7.2.1",
        "2.7.2.2",
        "2.8.2.1",
        "2.9",
    ]
    assert [f.content_path for f in result.findings if f.code == "encoding.invalid_datetime"] == [
        "2.6"
    ]


def test_deviations_of_the_characteristics_are_findings_not_crashes() -> None:
    weight = num(codes.BODY_WEIGHT, "68", "kg")  # 3.1
    del weight.MeasuredValueSequence[0].MeasurementUnitsCodeSequence
    height = num(codes.BODY_HEIGHT, "1.68", "m")  # 3.2
    del height.MeasuredValueSequence[0].MeasurementUnitsCodeSequence
    sex = _empty(coded(codes.SUBJECT_SEX, Code("F", "DCM", "Female")))  # 3.3
    result = parse(rrdsr([administration(), _characteristics(weight, height, sex)]))
    patient = result.report.patient
    assert (patient.weight, patient.height, patient.sex) == (None, None, None)
    # the two NUMs are also read as measurements: each unit is missed twice, one finding each
    assert sorted((str(f.code), f.content_path or "") for f in result.findings) == [
        ("unit.missing", "3.1"),
        ("unit.missing", "3.1"),
        ("unit.missing", "3.2"),
        ("unit.missing", "3.2"),
        ("value.empty_code", "3.3"),
    ]


def test_two_effective_doses_are_already_multiple() -> None:
    result = parse(rrdsr([administration(extra=[_effective("2"), _effective("3")])]))
    assert _admin(result).reported_effective_dose == Quantity(2.0, "mSv")
    assert _findings(result, "value.multiple") == [
        ("2 effective doses in one administration; the first is used", "2.6", "DCM:113839")
    ]


def test_empty_codes_of_the_effective_dose_and_an_invalid_start_are_findings() -> None:
    method = Code("113574", "DCM", "MIRD")
    effective = _effective(
        children=[
            _empty(coded(codes.MEASUREMENT_METHOD, method, rel="HAS CONCEPT MOD")),  # 2.6.1
            _empty(coded(codes.REFERENCE_AUTHORITY, method)),  # 2.6.2
        ]
    )
    ds = rrdsr([administration(extra=[effective])])
    ds.ContentSequence[1].ContentSequence[2].DateTime = "2024-01-02"  # 2.3: not a DT
    result = parse(ds)
    admin = _admin(result)
    assert admin.start_datetime is None
    assert (admin.reported_effective_dose_method, admin.reported_dose_authority) == (None, None)
    assert [f.content_path for f in result.findings if f.code == "value.empty_code"] == [
        "2.6.1",
        "2.6.2",
    ]
    assert [f.content_path for f in result.findings if f.code == "encoding.invalid_datetime"] == [
        "2.3"
    ]


def test_a_num_without_scheme_is_no_measurement_and_one_without_unit_has_no_value() -> None:
    no_scheme = num(Code("123", "99X", "No scheme"), "1", "s")  # 2.6
    no_scheme.ConceptNameCodeSequence[0].CodingSchemeDesignator = ""
    no_unit = num(Code("124", "99X", "No unit"), "2", "s")  # 2.7
    del no_unit.MeasuredValueSequence[0].MeasurementUnitsCodeSequence
    admin = _admin(parse(rrdsr([administration(extra=[no_scheme, no_unit])])))
    assert _measurements(admin) == [("99X:124", "No unit", None, "2.7")]
