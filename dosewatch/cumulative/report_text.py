"""Dose text for the exam report, ready to paste (French and English).

The arrêté of 22 September 2006 (information on the dose to be written in the report of an
act using ionising radiation) and Euratom 2013/59 art. 58(b) (information on the patient
exposure in the medical report) require, per modality, the indicator and its unit:

* CT (scanographie): Dose-Length Product PDL (mGy·cm) and CTDIvol (IDSV, mGy) of the
  acquisitions, with the device;
* radiography and interventional radiology: Dose-Area Product PDS (Gy·cm²); for fluoroscopy
  also the fluoroscopy time and the reference-point air kerma Ka,r when the device gives it,
  with the device for interventional procedures;
* nuclear medicine: radiopharmaceutical and administered activity (MBq);
* mammography: average glandular dose (mGy) when the device reports it.

Only counted events are used (every exposure once, see :mod:`dosewatch.ledger.estimates`);
values are the device's, never estimates. The list of indicators above is this module's
reading of the texts: the physicist in charge validates the wording locally.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from dosewatch.domain.errors import InvalidValueError, LedgerError
from dosewatch.ledger.models import Device, EventRow, ReportRow, ReportStatus, Study

_WORDS = {
    "fr": {
        "title": "Informations dosimétriques (arrêté du 22 septembre 2006)",
        "ct": "Scanographie : PDL total {dlp} mGy·cm ({n} acquisition(s)) ; IDSV {ctdi} mGy",
        "rf": "Radiologie : PDS total {kap} Gy·cm²",
        "fluoro": "temps de scopie {time} ; Ka,r {kar} Gy",
        "nm": "Médecine nucléaire : {agent}, activité administrée {mbq} MBq",
        "mg": "Mammographie : dose glandulaire moyenne {agd} mGy ({n} incidence(s))",
        "device": "Appareil : {device}",
        "none": "aucune donnée dosimétrique reçue pour cet examen",
        "unknown": "non renseigné",
    },
    "en": {
        "title": "Dose information (French arrêté of 22 September 2006; Euratom 2013/59 art. 58)",
        "ct": "CT: total DLP {dlp} mGy·cm ({n} acquisition(s)); CTDIvol {ctdi} mGy",
        "rf": "Radiography/fluoroscopy: total DAP {kap} Gy·cm²",
        "fluoro": "fluoroscopy time {time}; Ka,r {kar} Gy",
        "nm": "Nuclear medicine: {agent}, administered activity {mbq} MBq",
        "mg": "Mammography: average glandular dose {agd} mGy ({n} view(s))",
        "device": "Device: {device}",
        "none": "no dose data received for this exam",
        "unknown": "not reported",
    },
}


@dataclass(frozen=True, slots=True)
class ReportText:
    study_instance_uid: str
    lang: str
    lines: tuple[str, ...]

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def _n(value: float) -> str:
    return f"{value:.4g}"


def _join(values: list[float], unknown: str) -> str:
    if not values:
        return unknown
    low, high = min(values), max(values)
    return _n(low) if low == high else f"{_n(low)} to {_n(high)}"


def _minutes(seconds: float, lang: str) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


def report_text(session: Session, study_instance_uid: str, lang: str = "fr") -> ReportText:
    """The dose text of one study (see the module docstring)."""
    if lang not in _WORDS:
        raise InvalidValueError(f"language {lang!r}: expected fr or en")
    words = _WORDS[lang]
    study = session.scalars(
        select(Study).where(Study.study_instance_uid == study_instance_uid)
    ).one_or_none()
    if study is None:
        raise LedgerError(f"unknown study {study_instance_uid}")
    events = session.scalars(
        select(EventRow)
        .where(EventRow.study_id == study.id, EventRow.counted)
        .order_by(EventRow.event_key)
    ).all()
    reports = session.execute(
        select(ReportRow.modality, ReportRow.fluoro_time_total_s, Device.manufacturer, Device.model)
        .outerjoin(Device, Device.id == ReportRow.device_id)
        .where(ReportRow.study_id == study.id, ReportRow.status == ReportStatus.CURRENT.value)
    ).all()
    lines = [words["title"]]
    unknown = words["unknown"]
    ct = [e for e in events if e.modality == "CT"]
    if ct:
        dlp = [e.dlp_mgy_cm for e in ct if e.dlp_mgy_cm is not None]
        ctdi = [e.ctdivol_mgy for e in ct if e.ctdivol_mgy is not None]
        lines.append(
            words["ct"].format(
                dlp=_n(sum(dlp)) if dlp else unknown, n=len(ct), ctdi=_join(ctdi, unknown)
            )
        )
    xray = [e for e in events if e.modality in ("RF", "DX")]
    if xray:
        kap = [e.kap_gy_cm2 for e in xray if e.kap_gy_cm2 is not None]
        line = words["rf"].format(kap=_n(sum(kap)) if kap else unknown)
        if any(e.modality == "RF" for e in xray):
            times = [t for m, t, *_ in reports if m == "RF" and t is not None]
            kar = [e.ka_r_gy for e in xray if e.ka_r_gy is not None]
            line += "; " + words["fluoro"].format(
                time=_minutes(max(times), lang) if times else unknown,
                kar=_n(sum(kar)) if kar else unknown,
            )
        lines.append(line)
    for e in (e for e in events if e.modality == "NM"):
        lines.append(
            words["nm"].format(
                agent=e.radiopharmaceutical or unknown,
                mbq=_n(e.activity_mbq) if e.activity_mbq is not None else unknown,
            )
        )
    mg = [e for e in events if e.modality == "MG"]
    if mg:
        agd = [e.agd_mgy for e in mg if e.agd_mgy is not None]
        lines.append(words["mg"].format(agd=_join(agd, unknown), n=len(mg)))
    devices = sorted({f"{m or ''} {d or ''}".strip() for _, _, m, d in reports} - {""})
    if devices and (ct or any(e.modality == "RF" for e in events)):
        lines.append(words["device"].format(device=", ".join(devices)))
    if len(lines) == 1:
        lines.append(words["none"])
    return ReportText(study_instance_uid, lang, tuple(lines))
