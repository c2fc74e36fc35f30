"""A ground-truth region: known exams of known persons at three establishments.

Written with the synthetic writer (real Part 10 RDSR bytes, parsed and estimated by the real
parsers and models), plus one image-header object (a domain-level report: the synthetic
writer has no image builder) of an exposure the RDSR of the same study also reports.

Alice (INS 270017512345678) — every expected number computed by hand below:

* X1, CT, Hôpital A, 2025-01-10 — a cumulative per-exposure RDSR sent twice: R1 = {e1},
  R1' = {e1, e2} (supersedes R1); and an image header of e1 (must not count);
* X2, CT, Hôpital B, 2025-06-01 — two partly overlapping reports A = {e3, e4}, B = {e4, e5};
  A is re-sent (same bytes);
* X3, PET, Clinique C, 2025-09-01 — an RRDSR (250 MBq 18F-FDG, organ doses reported); Alice is
  known there only by a local ID without INS: a separate person until linked by hand.

Bob: local ID ``A-001`` like Alice's at Hôpital A, but issued by Clinique C — another person.

CT events are chest scans at 120 kV: E = k x DLP with k = 0.021 mSv/(mGy.cm) (Lee C et al.,
Med Phys 2012;39(4):2129, adult chest 120 kV, ICRP 103 weights). FDG: e = 0.0171 mSv/MBq
(Andersson M et al., EJNMMI Phys 2014;1:9 + erratum 2015, ICRP 103), so E = 4.275 mSv.
CT lung dose: 0.034 mGy per mGy.cm of DLP (the packaged ``ct_organ_dose_coefficients`` row the
model reports as its coefficient); FDG lung dose reported by the RRDSR: 0.020 mGy/MBq x 250.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from dosewatch import synth
from dosewatch.domain.report import SourceKind
from dosewatch.ingest.pipeline import Prepared, estimate_report, prepare_bytes
from tests.ledger.builders import ct_event, patient, prepared, report

K_CHEST_120KV = 0.021  # mSv/(mGy.cm), Lee 2012
E_FDG_PER_MBQ = 0.0171  # mSv/MBq, Andersson 2014 (ICRP 103)
LUNG_PER_DLP = 0.034  # mGy/(mGy.cm)
INS = "270017512345678"
DLP = {"e1": 400.0, "e2": 300.0, "e3": 200.0, "e4": 100.0, "e5": 150.0}
#: start of each event after its study time (s): the same in every object that sends it
OFFSET = {"e1": 0.0, "e2": 60.0, "e3": 0.0, "e4": 60.0, "e5": 120.0}
FDG_MBQ = 250.0
BOB_DLP = 500.0

ALICE_DLP = sum(DLP.values())  # 1150 mGy.cm
ALICE_E_MSV = K_CHEST_120KV * ALICE_DLP + E_FDG_PER_MBQ * FDG_MBQ  # 28.425
ALICE_LUNG_MGY = LUNG_PER_DLP * ALICE_DLP + 0.020 * FDG_MBQ  # 44.1
CTDIVOL_MGY = 10.0  # dosewatch.synth CtEventSpec default
#: NCICT 2015 Table 1(b), adult chest scan, bladder: "—" (< 0.02 per CTDIvol), taken as 0.01
NCICT_CHEST_BLADDER_PER_CTDIVOL = 0.01
#: reported once (32.5), not twice; plus the scatter dose of the five chest CT events (0.5)
ALICE_BLADDER_MGY = 0.13 * FDG_MBQ + NCICT_CHEST_BLADDER_PER_CTDIVOL * CTDIVOL_MGY * len(DLP)
AS_OF = date(2025, 12, 31)


def uid(name: str) -> str:
    return (
        f"1.2.826.0.1.3680043.10.7.{abs(sum(ord(c) * 31**i for i, c in enumerate(name))) % 10**12}"
    )


def _header(
    local: str,
    issuer: str,
    ins: str | None,
    site: str,
    study: str,
    sop: str,
    when: datetime,
    content: datetime | None = None,
) -> synth.Header:
    return synth.Header(
        patient=synth.PatientSpec(patient_id=local, issuer=issuer, ins=ins),
        device=synth.DeviceSpec(institution_name=site, serial_number=f"SN-{site[-1]}"),
        study=synth.StudySpec(
            study_datetime=when,
            study_instance_uid=uid(study),
            sop_instance_uid=uid(sop),
            content_datetime=content or when,
        ),
    )


def _ct(
    header: synth.Header, events: tuple[str, ...], dlp: dict[str, float] | None = None
) -> bytes:
    dlp = DLP if dlp is None else dlp
    spec = synth.CtReportSpec(
        events=tuple(
            synth.CtEventSpec(
                dlp_mgy_cm=dlp.get(e, BOB_DLP),
                irradiation_event_uid=uid(e),
                start_offset_s=OFFSET.get(e, 0.0),
            )
            for e in events
        )
    )
    return synth.ct_report_bytes(spec, header)


def files() -> dict[str, bytes]:
    """The RDSR objects of the scenario, by name (a re-sent object appears twice)."""
    t1 = datetime(2025, 1, 10, 9)
    t2 = datetime(2025, 6, 1, 9)
    t3 = datetime(2025, 9, 1, 9)
    a = ("A-001", "HOSP-A", INS, "Hopital A")
    b = ("B-777", "HOSP-B", INS, "Hopital B")
    c = ("C-5", "HOSP-C", None, "Clinique C")
    r1 = _header(*a, "X1", "X1.R1", t1)
    r1b = _header(*a, "X1", "X1.R1b", t1, content=t1.replace(minute=30))
    out = {
        "x1-r1.dcm": _ct(r1, ("e1",)),
        "x1-r1b.dcm": _ct(r1b, ("e1", "e2")),
        "x2-a.dcm": _ct(_header(*b, "X2", "X2.A", t2), ("e3", "e4")),
        "x2-b.dcm": _ct(_header(*b, "X2", "X2.B", t2, content=t2.replace(minute=5)), ("e4", "e5")),
    }
    out["x2-a-resent.dcm"] = out["x2-a.dcm"]
    nm = synth.RadiopharmaceuticalReportSpec(
        administrations=(
            synth.AdministrationSpec(
                activity_mbq=FDG_MBQ,
                organ_doses=synth.fdg_organ_doses(FDG_MBQ),
                administration_event_uid=uid("n1"),
            ),
        )
    )
    out["x3-rrdsr.dcm"] = synth.radiopharmaceutical_report_bytes(nm, _header(*c, "X3", "X3.R", t3))
    bob = _header("A-001", "HOSP-C", None, "Clinique C", "Y1", "Y1.R", datetime(2025, 2, 2, 9))
    out["y1-bob.dcm"] = _ct(bob, ("b1",))
    return out


def prepared_files() -> dict[str, Prepared]:
    return {name: prepare_bytes(data, name) for name, data in files().items()}


def header_of_e1() -> Prepared:
    """An image header of exposure e1 (its own derived UID): the RDSR accounts for it."""
    # acquired within the RDSR's event span (else it would fill a gap and count)
    event = replace(
        ct_event("2.25.4242", DLP["e1"]),
        acquisition_protocol="CHEST",
        datetime_started=datetime(2025, 1, 10, 9, 0, 30),
    )
    r = report(
        uid("X1.image"),
        uid("X1"),
        (event,),
        kind=SourceKind.IMAGE_HEADER,
        who=patient("A-001", "HOSP-A", INS),
        institution="Hopital A",
        content=datetime(2025, 1, 10, 9, 1),
    )
    item = prepared(r)
    estimates, findings = estimate_report(r)
    assert estimates
    return replace(item, estimates=estimates, estimate_findings=findings)


# --------------------------------------------------------------------------- alerts: Carol

CAROL = ("D-1", "HOSP-D", None, "Hopital D")
#: (name, date, DLP) — chest CTs at Hôpital D: 0.021 x 2500 = 52.5 mSv each, so the 5-year
#: cumulative E reaches 105 mSv >= 100 mSv at the second one, 8 days after the first
CAROL_CT = (("ct1", datetime(2025, 4, 12, 9), 2500.0), ("ct2", datetime(2025, 4, 20, 9), 2500.0))
#: interventional procedures: rf1 Ka,r 6 Gy >= 5 Gy (SRDL); rf2 40 days later (repeat)
CAROL_RF = (("rf1", datetime(2025, 3, 1, 9), 6.0), ("rf2", datetime(2025, 4, 10, 9), 1.0))


def _rf(name: str, when: datetime, ka_r_gy: float, content: datetime | None = None) -> bytes:
    spec = synth.ProjectionReportSpec(
        events=(
            synth.ProjectionEventSpec(
                dap_gy_cm2=50.0, dose_rp_gy=ka_r_gy, irradiation_event_uid=uid(name + ".e")
            ),
        )
    )
    header = _header(*CAROL, name, name + ".R", when, content=content)
    return synth.projection_report_bytes(spec, header)


def carol_files() -> dict[str, bytes]:
    """Carol's objects; ct2 is sent as a cumulative pair (superseding) and re-sent."""
    out: dict[str, bytes] = {}
    for name, when, ka_r in CAROL_RF:
        out[f"{name}.dcm"] = _rf(name, when, ka_r)
    dlps = {f"{name}.e1": dlp for name, _, dlp in CAROL_CT} | {"ct2.e2": 1.0}
    for name, when, _ in CAROL_CT:
        out[f"{name}.dcm"] = _ct(_header(*CAROL, name, name + ".R", when), (name + ".e1",), dlps)
    ct2_when = CAROL_CT[1][1]
    out["ct2-cumulative.dcm"] = _ct(
        _header(*CAROL, "ct2", "ct2.R2", ct2_when, content=ct2_when.replace(hour=10)),
        ("ct2.e1", "ct2.e2"),
        dlps,
    )
    out["ct2-resent.dcm"] = out["ct2.dcm"]
    return out


def rf1_corrected() -> bytes:
    """rf1 re-sent under its SOP Instance UID with a later content time and Ka,r 1.5 Gy."""
    name, when, _ = CAROL_RF[0]
    return _rf(name, when, 1.5, content=when.replace(hour=12))
