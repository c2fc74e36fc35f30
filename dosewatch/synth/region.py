"""A synthetic region: establishments, persons and the dose objects of their exams.

Deterministic for a seed (same seed → byte-identical files). The mix follows a regional
shared PACS: CT ~45 %, DX ~30 %, MG ~10 %, RF/IR ~10 %, NM ~5 % of exams, indicators drawn
lognormally around typical values (CT head CTDIvol ~50 mGy / DLP ~900 mGy.cm, chest
~8 / 300, abdomen ~12 / 600; DX chest KAP ~0.1 Gy.cm2; IR KAP ~50 Gy.cm2 and Ka,r
~0.5 Gy; MG AGD ~1.3 mGy per view; FDG ~250 MBq). It also writes what the ledger must
cope with: identical objects re-sent under another file name, cumulative per-exposure
CT reports (report k+1 holds events 1..k+1 of the same study under a new SOP Instance
UID), continued studies (disjoint events, same Study Instance UID), persons seen at up to
four establishments (same INS, different local IDs; some persons without INS) and a few
harmless vendor deviations.

Files are ``<establishment>/<modality>/<SOP Instance UID>.dcm``; ``region.json`` says
what a correct ingestion must find.
"""

from __future__ import annotations

import json
import math
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Final

from pydicom.sr.coding import Code

from dosewatch.domain import codes
from dosewatch.synth import ct, mammography, projection, radiopharmaceutical
from dosewatch.synth.common import (
    ALUMINUM,
    COPPER,
    Deviation,
    DeviceSpec,
    Header,
    PatientSpec,
    StudySpec,
    UidFactory,
)

MANIFEST_NAME: Final = "region.json"

#: exam mix (modality folder, weight)
MODALITY_MIX: Final[tuple[tuple[str, float], ...]] = (
    ("CT", 0.45),
    ("DX", 0.30),
    ("MG", 0.10),
    ("RF", 0.10),
    ("NM", 0.05),
)
RESENT_PROBABILITY: Final = 0.03
CUMULATIVE_CT_PROBABILITY: Final = 0.08
CONTINUED_CT_PROBABILITY: Final = 0.05

#: harmless deviations a region may carry (values and events unchanged)
_REGION_DEVIATIONS: Final[dict[str, tuple[Deviation, ...]]] = {
    "CT": (Deviation.SRT_CODES, Deviation.MISSING_TEMPLATE_SEQUENCE, Deviation.IMPLICIT_VR),
    "DX": (Deviation.UNIT_GYM2, Deviation.SRT_CODES, Deviation.BIG_ENDIAN),
    "RF": (Deviation.UNIT_GYM2, Deviation.TEXT_FOR_CODE, Deviation.SRT_CODES),
    "MG": (Deviation.SRT_CODES, Deviation.IMPLICIT_VR),
    "NM": (Deviation.SRT_CODES, Deviation.MISSING_TEMPLATE_SEQUENCE),
}

_CITIES: Final = (
    "Lyon", "Grenoble", "Annecy", "Chambery", "Valence", "Vienne", "Bourg", "Roanne",
    "Villefranche", "Montelimar", "Aubenas", "Oyonnax", "Thonon", "Voiron", "Givors",
)  # fmt: skip
_KINDS: Final = ("Centre Hospitalier", "Clinique", "Centre d'Imagerie", "Hopital Prive")
_FIRST_F: Final = ("Marie", "Hélène", "Chloé", "Léa", "Anne", "Sophie", "Zoé", "Inès", "Julie")
_FIRST_M: Final = ("Jean", "François", "Loïc", "Hugo", "Paul", "Noé", "Luc", "Rémi", "Yanis")
_LAST: Final = (
    "MARTIN", "BERNARD", "DUBOIS", "THOMAS", "ROBERT", "RICHARD", "PETIT", "DURAND",
    "LEROY", "MOREAU", "SIMON", "LAURENT", "LEFÈVRE", "MICHEL", "GARCIA", "FAURE",
)  # fmt: skip
_VENDORS: Final[dict[str, tuple[tuple[str, str], ...]]] = {
    "CT": (("SIEMENS", "SOMATOM go.Top"), ("GE MEDICAL SYSTEMS", "Revolution EVO"),
           ("CANON MEDICAL", "Aquilion Prime SP"), ("Philips", "Incisive CT")),
    "DX": (("Carestream Health", "DRX-Evolution"), ("SIEMENS", "Multix Impact"),
           ("FUJIFILM", "FDR Smart X")),
    "MG": (("GE HEALTHCARE", "Senographe Pristina"), ("HOLOGIC, Inc.", "Selenia Dimensions")),
    "RF": (("Philips", "Azurion 7 M20"), ("SIEMENS", "Artis Q"), ("GE Healthcare", "OEC 3D")),
    "NM": (("SIEMENS", "Biograph Vision 600"), ("GE Healthcare", "Discovery MI")),
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Establishment:
    """One establishment (tenant) of the region."""

    code: str  # FINESS-like 9 digits
    name: str
    devices: dict[str, DeviceSpec]


@dataclass(slots=True)
class Person:
    """One person of the region and the local identity each establishment gave them."""

    index: int
    sex: str
    birth_date: date
    weight_kg: float
    height_m: float
    name: str
    ins: str | None
    local_ids: dict[str, str] = field(default_factory=dict)  # establishment code → ID


@dataclass(frozen=True, slots=True)
class RegionSummary:
    """What was generated, and what a correct ingestion must find (``region.json``)."""

    seed: int
    establishments: int
    persons: int
    persons_with_ins: int
    #: ledger persons after linking: INS persons once, others once per establishment used
    expected_ledger_persons: int
    files: int
    total_bytes: int
    #: files by kind: report, resent, cumulative_partial, continued_part
    files_by_kind: dict[str, int]
    files_by_modality: dict[str, int]
    studies: int
    #: distinct SOP Instance UIDs (every one is recorded; re-sent copies are not new)
    expected_recorded_reports: int
    #: reports still current once cumulative partial reports are superseded
    expected_current_reports: int
    expected_unique_events: int
    reports_with_deviations: dict[str, int]

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)


# ------------------------------------------------------------------------------- helpers


def _lognormal(rng: random.Random, typical: float, sigma: float = 0.3) -> float:
    return typical * math.exp(rng.gauss(0.0, sigma))


def _finess(rng: random.Random, used: set[str]) -> str:
    while True:
        code = f"{rng.choice((1, 7, 26, 38, 42, 69, 73, 74)):02d}{rng.randrange(10**7):07d}"
        if code not in used:
            used.add(code)
            return code


def _ins(rng: random.Random, sex: str, birth: date) -> str:
    """A NIR-shaped 15-digit INS (synthetic: department 99 is never assigned)."""
    body = (
        f"{1 if sex == 'M' else 2}{birth.year % 100:02d}{birth.month:02d}99"
        f"{rng.randrange(1000):03d}{rng.randrange(1000):03d}"
    )
    key = 97 - int(body) % 97
    return f"{body}{key:02d}"


def _person(rng: random.Random, index: int) -> Person:
    sex = "M" if rng.random() < 0.49 else "F"
    roll = rng.random()
    if roll < 0.07:
        age = rng.uniform(0.5, 17.9)
    elif roll < 0.55:
        age = rng.uniform(18, 64)
    else:
        age = min(rng.gauss(74, 9), 101)
    birth = date(2024, 6, 30) - timedelta(days=int(age * 365.25))
    if age >= 18:
        height = rng.gauss(1.76 if sex == "M" else 1.63, 0.07)
        bmi = _lognormal(rng, 25.5, 0.17)
    else:
        height = 0.75 + age * (0.95 / 18) + rng.gauss(0, 0.05)
        bmi = _lognormal(rng, 17.0, 0.12)
    height = round(min(max(height, 0.6), 2.1), 2)
    weight = round(bmi * height * height, 1)
    first = rng.choice(_FIRST_M if sex == "M" else _FIRST_F)
    name = f"{rng.choice(_LAST)}^{first}"
    ins = _ins(rng, sex, birth) if rng.random() < 0.85 else None
    return Person(index, sex, birth, weight, height, name, ins)


def _establishments(rng: random.Random, count: int) -> list[Establishment]:
    used: set[str] = set()
    out: list[Establishment] = []
    for i in range(count):
        code = _finess(rng, used)
        name = f"{_KINDS[i % len(_KINDS)]} {_CITIES[i % len(_CITIES)]}"
        if i >= len(_CITIES):
            name += f" {i // len(_CITIES) + 1}"
        devices: dict[str, DeviceSpec] = {}
        for modality, vendors in _VENDORS.items():
            manufacturer, model = vendors[rng.randrange(len(vendors))]
            devices[modality] = DeviceSpec(
                manufacturer=manufacturer,
                model=model,
                serial_number=f"{modality}{code[-4:]}{rng.randrange(10000):04d}",
                station_name=f"{modality}{code[-3:]}{i:02d}"[:16],
                institution_name=name,
                software_version=f"VA{rng.randrange(10, 60)}",
            )
        out.append(Establishment(code, name, devices))
    return out


# ------------------------------------------------------------------------- exam contents

_CT_PROTOCOLS: Final[tuple[tuple[str, Code, Code, float, float, float], ...]] = (
    # protocol, region, phantom, typical CTDIvol mGy, scanning length mm, weight
    ("Crane sans injection", ct.HEAD, codes.IEC_HEAD_DOSIMETRY_PHANTOM, 50.0, 180.0, 0.30),
    ("Thorax", ct.CHEST, codes.IEC_BODY_DOSIMETRY_PHANTOM, 8.0, 375.0, 0.35),
    ("Abdomen-Pelvis", ct.ABDOMEN, codes.IEC_BODY_DOSIMETRY_PHANTOM, 12.0, 500.0, 0.35),
)


def _ct_spec(
    rng: random.Random, person: Person, new_uid: UidFactory, ssde: bool
) -> ct.CtReportSpec:
    protocol, region, phantom, typical, length, _w = rng.choices(
        _CT_PROTOCOLS, weights=[p[5] for p in _CT_PROTOCOLS]
    )[0]
    n_events = rng.choices((1, 2, 3), weights=(0.55, 0.3, 0.15))[0]
    events: list[ct.CtEventSpec] = []
    for k in range(n_events):
        ctdivol = round(_lognormal(rng, typical, 0.3), 2)
        scan = round(length * rng.uniform(0.85, 1.15), 1)
        kvp = rng.choice((100.0, 120.0)) if region != ct.HEAD else 120.0
        wed = None
        ssde_value = None
        if ssde and codes.same(phantom, codes.IEC_BODY_DOSIMETRY_PHANTOM):
            wed = round(180 + 100 * math.sqrt(person.weight_kg / 70.0) * rng.uniform(0.9, 1.1), 1)
            # AAPM Report 220 conversion factor for the 32 cm phantom, Dw in cm
            ssde_value = round(ctdivol * 3.704369 * math.exp(-0.03671937 * wed / 10.0), 2)
        events.append(
            ct.CtEventSpec(
                ctdivol_mgy=ctdivol,
                dlp_mgy_cm=round(ctdivol * scan / 10.0, 2),
                phantom=phantom,
                protocol=f"{protocol} {k + 1}" if n_events > 1 else protocol,
                target_region=region,
                scanning_length_mm=scan,
                pitch_factor=rng.choice((0.6, 0.8, 0.984, 1.2)),
                exposure_time_s=round(rng.uniform(2, 12), 2),
                sources=(
                    ct.CtSourceSpec(
                        kvp=kvp,
                        maximum_tube_current_ma=round(rng.uniform(300, 600)),
                        tube_current_ma=round(rng.uniform(100, 300)),
                    ),
                ),
                ssde_mgy=ssde_value,
                water_equivalent_diameter_mm=wed,
                irradiation_event_uid=new_uid(),
                start_offset_s=60.0 * k,
            )
        )
    return ct.CtReportSpec(events=tuple(events))


def _dx_spec(rng: random.Random, new_uid: UidFactory) -> projection.ProjectionReportSpec:
    region, typical, protocol = rng.choices(
        (
            (projection.CHEST, 0.1, "Thorax PA"),
            (ct.ABDOMEN, 1.0, "ASP"),
            (ct.PELVIS, 1.2, "Bassin"),
        ),
        weights=(0.6, 0.2, 0.2),
    )[0]
    n = rng.choices((1, 2, 3), weights=(0.5, 0.4, 0.1))[0]
    events = tuple(
        projection.radiography_event(
            dap_gy_cm2=round(_lognormal(rng, typical, 0.35), 4),
            dose_rp_gy=round(_lognormal(rng, typical * 0.0012, 0.35), 6),
            protocol=protocol,
            target_region=region,
            kvp=float(rng.choice((70, 81, 90, 110, 125))),
            exposure_time_ms=round(rng.uniform(4, 60), 1),
            irradiation_event_uid=new_uid(),
            start_offset_s=45.0 * k,
        )
        for k in range(n)
    )
    return projection.ProjectionReportSpec(events=events, fluoroscopy=False)


def _rf_spec(rng: random.Random, new_uid: UidFactory) -> projection.ProjectionReportSpec:
    n = rng.randint(5, 20)
    kap_total = _lognormal(rng, 50.0, 0.6)
    kar_total = _lognormal(rng, 0.5, 0.6)
    shares = [rng.random() + 0.05 for _ in range(n)]
    norm = sum(shares)
    events: list[projection.ProjectionEventSpec] = []
    for k, share in enumerate(shares):
        fluoro = rng.random() < 0.6
        events.append(
            projection.ProjectionEventSpec(
                dap_gy_cm2=round(kap_total * share / norm, 4),
                dose_rp_gy=round(kar_total * share / norm, 6),
                event_type=codes.FLUOROSCOPY if fluoro else codes.STATIONARY_ACQUISITION,
                protocol="Scopie pulsee" if fluoro else "Graphie",
                target_region=projection.HEART,
                fluoro_mode=codes.PULSED if fluoro else None,
                pulse_rate_per_s=rng.choice((7.5, 15.0)) if fluoro else None,
                number_of_pulses=rng.randint(10, 400),
                kvp=round(rng.uniform(65, 95), 1),
                tube_current_ma=round(rng.uniform(5, 600), 1),
                exposure_time_ms=round(
                    rng.uniform(500, 60_000) if fluoro else rng.uniform(500, 8000)
                ),
                pulse_width_ms=round(rng.uniform(3, 10), 1),
                primary_angle_deg=round(rng.uniform(-40, 40), 1),
                secondary_angle_deg=round(rng.uniform(-30, 30), 1),
                collimated_field_area_cm2=round(rng.uniform(150, 500), 1),
                filters=(
                    projection.FilterSpec(COPPER, rng.choice((0.1, 0.2, 0.3, 0.6))),
                    projection.FilterSpec(ALUMINUM, 1.0),
                ),
                irradiation_event_uid=new_uid(),
                start_offset_s=40.0 * k,
            )
        )
    return projection.ProjectionReportSpec(events=tuple(events), fluoroscopy=True)


def _mg_spec(rng: random.Random, new_uid: UidFactory) -> mammography.MammographyReportSpec:
    views = mammography.default_views()
    if rng.random() < 0.15:
        side = rng.choice((codes.LEFT, codes.RIGHT))
        views = tuple(v for v in views if codes.same(v.laterality, side))
    events = tuple(
        replace(
            view,
            agd_mgy=round(_lognormal(rng, 1.3, 0.25), 3),
            entrance_exposure_mgy=round(_lognormal(rng, 5.5, 0.3), 3),
            compression_thickness_mm=round(rng.uniform(35, 75), 1),
            kvp=float(rng.randint(26, 34)),
            irradiation_event_uid=new_uid(),
        )
        for view in views
    )
    return mammography.MammographyReportSpec(events=events)


def _nm_spec(
    rng: random.Random, person: Person, new_uid: UidFactory, organ_doses: bool
) -> radiopharmaceutical.RadiopharmaceuticalReportSpec:
    activity = round(min(max(_lognormal(rng, 250.0, 0.2), 80.0), 500.0), 1)
    admin = radiopharmaceutical.AdministrationSpec(
        activity_mbq=activity,
        pre_administration_activity_mbq=round(activity * rng.uniform(1.01, 1.08), 1),
        organ_doses=radiopharmaceutical.fdg_organ_doses(activity) if organ_doses else (),
        administration_event_uid=new_uid(),
        start_before_study_s=round(rng.uniform(3000, 4500)),
    )
    return radiopharmaceutical.RadiopharmaceuticalReportSpec(administrations=(admin,))


# ----------------------------------------------------------------------------- generator


class RegionGenerator:
    """Iterates over the files of a region; :meth:`summary` once exhausted."""

    def __init__(
        self,
        *,
        establishments: int,
        persons: int,
        seed: int,
        deviation_rate: float = 0.05,
    ) -> None:
        if establishments < 1 or persons < 1:
            raise ValueError("a region needs at least one establishment and one person")
        self.seed = seed
        self.n_establishments = establishments
        self.n_persons = persons
        self.deviation_rate = deviation_rate
        self._files_by_kind: Counter[str] = Counter()
        self._files_by_modality: Counter[str] = Counter()
        self._deviations: Counter[str] = Counter()
        self._sop_uids: set[str] = set()
        self._event_uids: set[str] = set()
        self._superseded = 0
        self._studies = 0
        self._bytes = 0
        self._persons_with_ins = 0
        self._ledger_persons = 0
        self._done = False

    def files(self) -> Iterator[tuple[str, bytes]]:
        """(relative path, bytes) of every file, in a deterministic order."""
        rng = random.Random(self.seed)
        uid = UidFactory(self.seed, "region")
        sites = _establishments(rng, self.n_establishments)
        local_counter: Counter[str] = Counter()
        for index in range(self.n_persons):
            person = _person(rng, index)
            self._persons_with_ins += person.ins is not None
            k = min(rng.choices((1, 2, 3, 4), weights=(0.6, 0.25, 0.1, 0.05))[0], len(sites))
            person_sites = rng.sample(sites, k)
            n_exams = rng.choices((1, 2, 3, 4, 5, 6), weights=(0.4, 0.25, 0.15, 0.1, 0.06, 0.04))[0]
            used_sites: set[str] = set()
            for _ in range(n_exams):
                site = person_sites[rng.randrange(len(person_sites))]
                if site.code not in person.local_ids:
                    local_counter[site.code] += 1
                    person.local_ids[site.code] = f"{site.code[-3:]}{local_counter[site.code]:07d}"
                used_sites.add(site.code)
                yield from self._exam(rng, uid, site, person)
            self._ledger_persons += 1 if person.ins else len(used_sites)
        self._done = True

    def _header(
        self,
        rng: random.Random,
        uid: UidFactory,
        site: Establishment,
        person: Person,
        modality: str,
    ) -> Header:
        when = datetime(2023, 1, 2, 7, 30) + timedelta(
            days=rng.randrange(728), minutes=rng.randrange(0, 11 * 60)
        )
        patient = PatientSpec(
            name=person.name,
            patient_id=person.local_ids[site.code],
            issuer=f"FINESS-{site.code}",
            issuer_oid=f"1.2.250.1.71.4.2.1.{site.code}",
            ins=person.ins,
            birth_date=person.birth_date,
            sex=person.sex,
            weight_kg=person.weight_kg,
            height_m=person.height_m,
        )
        study = StudySpec(
            study_datetime=when,
            study_instance_uid=uid(),
            series_instance_uid=uid(),
            accession_number=f"A{site.code[-4:]}{rng.randrange(10**8):08d}",
            study_description={"CT": "TDM", "DX": "RADIOGRAPHIE", "MG": "MAMMOGRAPHIE",
                               "RF": "CORONAROGRAPHIE", "NM": "TEP-TDM FDG"}[modality],
        )  # fmt: skip
        return Header(patient=patient, device=site.devices[modality], study=study)

    def _exam(
        self, rng: random.Random, uid: UidFactory, site: Establishment, person: Person
    ) -> Iterator[tuple[str, bytes]]:
        modality = rng.choices([m for m, _ in MODALITY_MIX], weights=[w for _, w in MODALITY_MIX])[
            0
        ]
        header = self._header(rng, uid, site, person, modality)
        deviations: tuple[Deviation, ...] = ()
        if rng.random() < self.deviation_rate:
            deviations = (rng.choice(_REGION_DEVIATIONS[modality]),)
        self._studies += 1
        folder = f"{site.code}/{modality}"
        if modality == "CT":
            device_has_ssde = site.devices["CT"].model in {"Revolution EVO", "SOMATOM go.Top"}
            spec = _ct_spec(rng, person, uid, device_has_ssde)
            roll = rng.random()
            if roll < CUMULATIVE_CT_PROBABILITY and len(spec.events) > 1:
                yield from self._cumulative(rng, uid, folder, spec, header, deviations)
                return
            if roll < CUMULATIVE_CT_PROBABILITY + CONTINUED_CT_PROBABILITY and len(spec.events) > 1:
                yield from self._continued(rng, uid, folder, spec, header, deviations)
                return
            data = ct.ct_report_bytes(
                spec, self._with_sop(header, uid), deviations=deviations, uids=uid
            )
            events: list[str | None] = [e.irradiation_event_uid for e in spec.events]
        elif modality in {"DX", "RF"}:
            pspec = _dx_spec(rng, uid) if modality == "DX" else _rf_spec(rng, uid)
            data = projection.projection_report_bytes(
                pspec, self._with_sop(header, uid), deviations=deviations, uids=uid
            )
            events = [e.irradiation_event_uid for e in pspec.events]
        elif modality == "MG":
            mspec = _mg_spec(rng, uid)
            data = mammography.mammography_report_bytes(
                mspec, self._with_sop(header, uid), deviations=deviations, uids=uid
            )
            events = [e.irradiation_event_uid for e in mspec.events]
        else:
            organ_doses = site.devices["NM"].manufacturer == "SIEMENS"
            nspec = _nm_spec(rng, person, uid, organ_doses)
            data = radiopharmaceutical.radiopharmaceutical_report_bytes(
                nspec, self._with_sop(header, uid), deviations=deviations, uids=uid
            )
            events = [a.administration_event_uid for a in nspec.administrations]
        yield from self._emit(rng, folder, modality, "report", data, events, deviations)

    @staticmethod
    def _with_sop(header: Header, uid: UidFactory, instance: int = 1, later_s: float = 0) -> Header:
        study = replace(
            header.study,
            sop_instance_uid=uid(),
            instance_number=instance,
            content_datetime=header.study.study_datetime + timedelta(seconds=600 + later_s),
        )
        return replace(header, study=study)

    def _cumulative(
        self,
        rng: random.Random,
        uid: UidFactory,
        folder: str,
        spec: ct.CtReportSpec,
        header: Header,
        deviations: tuple[Deviation, ...],
    ) -> Iterator[tuple[str, bytes]]:
        """Per-exposure RDSRs: report k holds events 1..k (each a superset of the previous)."""
        n = len(spec.events)
        for k in range(1, n + 1):
            partial = replace(spec, events=spec.events[:k])
            data = ct.ct_report_bytes(
                partial, self._with_sop(header, uid, k, 60.0 * k), deviations=deviations, uids=uid
            )
            kind = "report" if k == n else "cumulative_partial"
            if k < n:
                self._superseded += 1
            events = [e.irradiation_event_uid for e in partial.events]
            yield from self._emit(rng, folder, "CT", kind, data, events, deviations)

    def _continued(
        self,
        rng: random.Random,
        uid: UidFactory,
        folder: str,
        spec: ct.CtReportSpec,
        header: Header,
        deviations: tuple[Deviation, ...],
    ) -> Iterator[tuple[str, bytes]]:
        """A continued study: two reports of disjoint events under one Study Instance UID."""
        cut = rng.randint(1, len(spec.events) - 1)
        for part, events_spec in enumerate((spec.events[:cut], spec.events[cut:]), start=1):
            piece = replace(spec, events=events_spec)
            data = ct.ct_report_bytes(
                piece,
                self._with_sop(header, uid, part, 900.0 * part),
                deviations=deviations,
                uids=uid,
            )
            events = [e.irradiation_event_uid for e in events_spec]
            yield from self._emit(rng, folder, "CT", "continued_part", data, events, deviations)

    def _emit(
        self,
        rng: random.Random,
        folder: str,
        modality: str,
        kind: str,
        data: bytes,
        events: list[str | None],
        deviations: tuple[Deviation, ...],
    ) -> Iterator[tuple[str, bytes]]:
        sop_uid = _sop_uid_of(data)
        self._sop_uids.add(sop_uid)
        self._event_uids.update(e for e in events if e)
        for deviation in deviations:
            self._deviations[deviation.value] += 1
        self._count(modality, kind, data)
        yield f"{folder}/{sop_uid}.dcm", data
        if rng.random() < RESENT_PROBABILITY:
            self._count(modality, "resent", data)
            yield f"{folder}/{sop_uid}-resent-1.dcm", data

    def _count(self, modality: str, kind: str, data: bytes) -> None:
        self._files_by_kind[kind] += 1
        self._files_by_modality[modality] += 1
        self._bytes += len(data)

    def summary(self) -> RegionSummary:
        if not self._done:
            raise RuntimeError("summary() is available once files() is exhausted")
        return RegionSummary(
            seed=self.seed,
            establishments=self.n_establishments,
            persons=self.n_persons,
            persons_with_ins=self._persons_with_ins,
            expected_ledger_persons=self._ledger_persons,
            files=sum(self._files_by_kind.values()),
            total_bytes=self._bytes,
            files_by_kind=dict(sorted(self._files_by_kind.items())),
            files_by_modality=dict(sorted(self._files_by_modality.items())),
            studies=self._studies,
            expected_recorded_reports=len(self._sop_uids),
            expected_current_reports=len(self._sop_uids) - self._superseded,
            expected_unique_events=len(self._event_uids),
            reports_with_deviations=dict(sorted(self._deviations.items())),
        )


def _sop_uid_of(data: bytes) -> str:
    """The Media Storage SOP Instance UID from the (explicit LE) file meta of our files."""
    start = data.index(b"\x02\x00\x03\x00UI") + 6
    length = int.from_bytes(data[start : start + 2], "little")
    return data[start + 2 : start + 2 + length].rstrip(b"\x00 ").decode("ascii")


def iter_region(
    *, establishments: int, persons: int, seed: int, deviation_rate: float = 0.05
) -> Iterator[tuple[str, bytes]]:
    """(relative path, bytes) of every file of a region, without writing anything."""
    generator = RegionGenerator(
        establishments=establishments, persons=persons, seed=seed, deviation_rate=deviation_rate
    )
    yield from generator.files()


def generate_region(
    outdir: Path, *, establishments: int, persons: int, seed: int, deviation_rate: float = 0.05
) -> RegionSummary:
    """Write a region's files under ``outdir`` and its ``region.json``; return the summary."""
    generator = RegionGenerator(
        establishments=establishments, persons=persons, seed=seed, deviation_rate=deviation_rate
    )
    outdir.mkdir(parents=True, exist_ok=True)
    made: set[Path] = set()
    for relative, data in generator.files():
        path = outdir / relative
        if path.parent not in made:
            path.parent.mkdir(parents=True, exist_ok=True)
            made.add(path.parent)
        path.write_bytes(data)
    summary = generator.summary()
    (outdir / MANIFEST_NAME).write_text(summary.to_json() + "\n", encoding="utf-8")
    return summary
