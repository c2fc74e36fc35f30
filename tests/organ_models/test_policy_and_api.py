"""Reference policy, loader validation, API shape, reasons, explain."""

from __future__ import annotations

import pytest

from dosewatch.domain.errors import ReferenceDataError
from dosewatch.domain.estimate import EstimateQuantity, Verification, WeightBasis
from dosewatch.domain.report import DoseModality, DoseReport
from organ_models import (
    REGISTRY,
    EstimationSettings,
    PatientOverrides,
    ReferencePolicy,
    estimate,
    estimate_with_reasons,
    estimates_to_json,
    explain,
    load_all,
    patient_from_report,
)
from organ_models.patient import Patient
from organ_models.tables import USABLE_LEVELS, parse_table
from tests.organ_models import builders as b
from tests.organ_models.bounds import check_effective_dose


def all_modalities() -> list[DoseReport]:
    return [
        b.report(
            DoseModality.CT,
            (b.ct_event(), b.ct_event("1.2", region=b.HEAD, head_phantom=True, dw_mm=170)),
        ),
        b.report(DoseModality.CT, (b.ct_event(deff_mm=280),), b.patient(weight=90, height_m=1.7)),
        b.report(DoseModality.CT, (b.ct_event(),), b.patient(age=5)),
        b.report(DoseModality.RADIOGRAPHY, (b.projection_event(),), description="Thorax face"),
        b.report(
            DoseModality.FLUOROSCOPY,
            (b.projection_event(), b.projection_event("2.2")),
            description="coronarographie",
        ),
        b.report(
            DoseModality.FLUOROSCOPY, (b.projection_event(geometry=True),), description="TIPS"
        ),
        b.report(DoseModality.MAMMOGRAPHY, (b.mammo_event(), b.mammo_event("3.2", agd=None))),
        b.report(DoseModality.NUCLEAR_MEDICINE, (b.nm_admin(),)),
    ]


def test_every_table_loads_and_validates() -> None:
    tables = load_all()
    assert set(tables) >= {"ct_k_factors", "nm_dose_coefficients", "icrp103_tissue_weights"}
    assert all(t.version.split("+")[1] for t in tables.values())


def test_loader_refuses_unknown_verification_level() -> None:
    bad = (
        b"factor,application,value,value_low,value_high,unit,source,verification,notes\n"
        b"backscatter_factor,x,1.3,1.2,1.4,1,some source,probably,\n"
    )
    with pytest.raises(ReferenceDataError, match="verification"):
        parse_table("skin_dose_factors", bad)


def test_loader_refuses_non_numeric_value() -> None:
    bad = (
        b"factor,application,value,value_low,value_high,unit,source,verification,notes\n"
        b"backscatter_factor,x,about 1.3,,,1,some source,verified,\n"
    )
    with pytest.raises(ReferenceDataError, match="not a number"):
        parse_table("skin_dose_factors", bad)


def test_no_unverified_row_is_used_by_default() -> None:
    used = 0
    for report in all_modalities():
        for est in estimate(report):
            assert not est.indicative
            for c in est.coefficients:
                assert c.verification in USABLE_LEVELS, (est.model_id, c.locator)
                used += 1
    assert used > 20


def test_radiography_effective_dose_from_a_secondary_source_says_so() -> None:
    report = all_modalities()[3]
    (e,) = [x for x in estimate(report) if x.quantity is EstimateQuantity.EFFECTIVE_DOSE]
    # HPA-CRCE-028 Table 7, chest (region): 0.16 mSv/(Gy cm2); KAP 10 Gy cm2
    assert e.value.value == pytest.approx(1.6)
    (c,) = e.coefficients
    assert c.verification is Verification.VERIFIED_SECONDARY
    assert not e.indicative and "SECONDARY SOURCE" in e.method
    assert e.uncertainty_pct == pytest.approx(55.9)  # 50 (region factor) (+) 25 (secondary)


def test_unverified_rows_only_when_allowed_and_then_indicative() -> None:
    report = all_modalities()[5]  # TIPS: only an unverified_recall E/KAP range (0.15-0.25)
    result = estimate_with_reasons(report)
    assert not [e for e in result.estimates if e.quantity is EstimateQuantity.EFFECTIVE_DOSE]
    assert any("refused by the reference policy" in r.message for r in result.not_estimated)
    allowed = estimate(report, settings=EstimationSettings(ReferencePolicy(allow_indicative=True)))
    e = [x for x in allowed if x.quantity is EstimateQuantity.EFFECTIVE_DOSE]
    assert e[0].indicative and e[0].uncertainty_pct >= 100 and "INDICATIVE" in e[0].method
    assert e[0].value.value == pytest.approx(0.20 * 10.0)  # midpoint of 0.15-0.25


def test_every_report_yields_estimates_or_reasons_with_full_provenance() -> None:
    for report in all_modalities():
        result = estimate_with_reasons(report)
        # every report of all_modalities() has something a model can estimate
        assert result.estimates, report.modality
        for est in result.estimates:
            assert est.value.unit in ("mSv", "mGy")
            assert est.model_id in REGISTRY and est.model_version
            assert est.table_version and (est.uncertainty_pct > 0 or est.upper_bound) and est.method
            if est.quantity is EstimateQuantity.EFFECTIVE_DOSE:
                assert est.basis is not None
                assert check_effective_dose(est), est.model_id


def test_fluoro_skin_dose_bound_without_geometry_point_with_geometry() -> None:
    no_geo = estimate(all_modalities()[4])
    psd = [e for e in no_geo if e.quantity is EstimateQuantity.PEAK_SKIN_DOSE]
    assert len(psd) == 1 and psd[0].upper_bound
    # BSF_max 1.662 x (mu_en/rho)_w/air,max 1.073 (Benmakhlouf 2011), no table credit
    assert psd[0].value.value == pytest.approx(0.2 * 1.662 * 1.073 * 1000)
    geo = estimate(all_modalities()[5])
    psd = [e for e in geo if e.quantity is EstimateQuantity.PEAK_SKIN_DOSE]
    assert not psd[0].upper_bound
    # PA beam, d_RP 60 cm, isocentre 75 cm, skin at 75 - 11 cm (phantom semi-axis):
    # Ka,r x (60/64)^2 x BSF 1.35 x (mu_en/rho)_w/air 1.044 x T_table 0.8
    assert psd[0].value.value == pytest.approx(100 * (60 / 64) ** 2 * 1.35 * 1.044 * 0.8)


def test_tips_effective_dose_refused_by_default() -> None:
    result = estimate_with_reasons(all_modalities()[5])
    assert any("TIPS" in r.message for r in result.not_estimated)


def test_json_shape_exact() -> None:
    items = estimates_to_json(estimate(all_modalities()[0]))
    assert items
    keys = {
        "event_uid",
        "quantity",
        "organ",
        "value",
        "unit",
        "uncertainty_pct",
        "model",
        "model_version",
        "basis",
        "origin",
    }
    for item in items:
        assert set(item) == keys
        assert item["origin"] in ("model", "reported")
        assert item["quantity"] in ("effective_dose", "organ_dose", "peak_skin_dose", "ssde")
        assert item["basis"] in ("ICRP103", "ICRP60", None)
    organ = [i for i in items if i["quantity"] == "organ_dose"]
    assert organ and all(i["organ"].isdigit() for i in organ)


def test_explain_names_formula_coefficients_and_sources() -> None:
    est = next(
        e for e in estimate(all_modalities()[0]) if e.quantity is EstimateQuantity.EFFECTIVE_DOSE
    )
    text = explain(est)
    assert "E = k x DLP" in text and "ct_k_factors.csv row" in text
    assert "PMC3326072" in text and "ICRP103" in text
    # Lee 2012 Table XII adult chest 120 kV k 0.021 x 500 mGy.cm = 10.5 mSv, +/-42.7 %:
    # shown with 2 figures, stored whole
    assert est.value.value == pytest.approx(10.5)
    assert text.startswith("effective_dose = 11 mSv (estimate, +/-42.7 %")
    assert "stored value 10.5" in text
    organ = next(e for e in estimate(all_modalities()[0]) if e.model_id == "ct.organ.ncict2015")
    assert organ.organ is not None and explain(organ).startswith(organ.organ.meaning)


def test_patient_overrides_and_implausible_age() -> None:
    report = b.report(DoseModality.CT, (b.ct_event(),), b.patient(age=162, sex="O"))
    p = patient_from_report(report)
    assert p.age_years is None and p.sex is None and p.findings
    p = patient_from_report(
        report, PatientOverrides(age_years=8, sex="f", weight_kg=30, height_cm=130)
    )
    assert (p.age_years, p.sex, p.weight_kg, p.height_cm) == (8, "F", 30, 130)
    assert dict(p.origin)["age_years"] == "override"


def test_region_from_protocol_keywords_with_finding_and_more_uncertainty() -> None:
    coded = estimate(b.report(DoseModality.CT, (b.ct_event(),)))
    text = estimate_with_reasons(
        b.report(DoseModality.CT, (b.ct_event(region=None, protocol="THORAX C+"),))
    )
    e1 = next(e for e in coded if e.quantity is EstimateQuantity.EFFECTIVE_DOSE)
    e2 = next(e for e in text.estimates if e.quantity is EstimateQuantity.EFFECTIVE_DOSE)
    assert e1.value == e2.value and e2.uncertainty_pct > e1.uncertainty_pct
    assert any(f.code == "model.region_from_text" for f in text.findings)


def test_unknown_region_gives_reason() -> None:
    result = estimate_with_reasons(
        b.report(DoseModality.CT, (b.ct_event(region=None, protocol="Scout"),))
    )
    assert any("region unknown" in r.message for r in result.not_estimated)


def test_bases_never_mixed_in_one_estimate_and_flagged() -> None:
    es = estimate(
        b.report(DoseModality.NUCLEAR_MEDICINE, (b.nm_admin(),)),
        settings=EstimationSettings(basis=WeightBasis.ICRP60),
    )
    bases = {e.basis for e in es if e.quantity is EstimateQuantity.EFFECTIVE_DOSE}
    assert bases == {WeightBasis.ICRP60}


def test_reported_organ_doses_kept_with_authority_and_set_completeness_checked() -> None:
    from dosewatch.domain.report import OrganDose
    from organ_models.organs import TISSUE_CODES

    keys = ("lung", "liver", "bladder", "brain")
    doses = tuple(
        OrganDose(TISSUE_CODES[k], None, b.q(1.5, "mGy"), reference_authority="ICRP 128")
        for k in keys
    )
    report = b.report(DoseModality.NUCLEAR_MEDICINE, (b.nm_admin(organ_doses=doses),))
    result = estimate_with_reasons(report, Patient(age_years=40, sex="M"))
    reported = [e for e in result.estimates if e.model_id == "nm.reported_organ_dose"]
    assert len(reported) == len(keys)
    assert all((a := e.input("authority")) is not None and a.text == "ICRP 128" for e in reported)
    assert all(e.value.value == 1.5 for e in reported)
    # an incomplete organ set gives no E through the tissue weights, with a finding
    assert not [e for e in result.estimates if e.model_id == "nm.effective_from_organs"]
    assert any(f.code == "model.organ_set_incomplete" for f in result.findings)


def test_child_ct_chest_organs_outside_field_are_scatter_level() -> None:
    es = estimate(
        b.report(DoseModality.CT, (b.ct_event(ctdivol=4.0, kv=80),)), Patient(age_years=5, sex="F")
    )
    organs = {
        e.organ.value: e for e in es if e.organ is not None and e.model_id == "ct.organ.korg_h"
    }
    # Lee 2012 Table IV: thyroid 5 y, 80 kV, h = 1.0; brain 0.014
    assert organs["69748006"].value.value == pytest.approx(4.0)
    assert organs["12738006"].value.value == pytest.approx(0.056)
    assert organs["12738006"].uncertainty_pct >= 100
