"""Reference tables as package data: loading, validation, verification policy, versions.

Every table in ``organ_models/data`` is a CSV whose rows carry a value, a unit (in a ``unit``
column or in the value column's name), a ``source`` and a ``verification`` level (see
``data/README.md``). The loader validates each table when it is read and gives typed rows.

Only ``verified``, ``verified_secondary`` and ``derived`` rows are usable by default;
``unverified_recall`` rows are refused unless a :class:`ReferencePolicy` with
``allow_indicative=True`` is passed explicitly, and every estimate that used one is then
marked ``indicative``. ``not_retrieved`` rows have no value and are never usable.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Final

from dosewatch.domain.errors import ReferenceDataError, ReferencePolicyRefusedError
from dosewatch.domain.estimate import Coefficient, Verification

#: data release of the tables in ``organ_models/data`` (see data/CHANGELOG.md)
DATA_RELEASE: Final = "2026.11.27"

USABLE_LEVELS: Final = frozenset(v for v in Verification if v.usable)
INDICATIVE_LEVELS: Final = frozenset(v for v in Verification if v.indicative)
MISSING_LEVELS: Final = frozenset(v for v in Verification if not v.has_value)
ALL_LEVELS: Final = frozenset(Verification)


@dataclass(frozen=True, slots=True)
class ReferencePolicy:
    """Which reference rows a computation may use. Passed explicitly, never global.

    ``allow_indicative``: also use ``unverified_recall`` rows; results are then labelled
    indicative and carry a larger uncertainty.
    """

    allow_indicative: bool = False

    def admits(self, verification: Verification) -> bool:
        if verification.usable:
            return True
        return self.allow_indicative and verification.indicative


@dataclass(frozen=True, slots=True)
class TableSpec:
    """How one table is read: its value column and where its unit comes from."""

    name: str
    value_column: str
    unit: str | None  # fixed unit of the value column, or None when a ``unit`` column says it
    required: tuple[str, ...]
    allowed_units: frozenset[str] = frozenset()
    #: record types whose value is descriptive text (ranges), kept but never numeric
    text_record_types: frozenset[str] = frozenset()
    #: alternative value column when ``value_column`` is empty (e.g. effective diameter)
    alt_value_column: str | None = None
    #: (low, high) columns whose midpoint stands for an empty value (indicative ranges)
    range_columns: tuple[str, str] | None = None
    #: marker words allowed in the value column instead of a number
    text_values: frozenset[str] = frozenset()
    #: units whose values may be negative (a signed percentage difference)
    signed_units: frozenset[str] = frozenset()
    #: values written "v +/- u" are read as v (u stays in the row's text, see ``plus_minus``)
    plus_minus: bool = False


#: columns of every table of the December 2026 reference additions
ADDITIONS_COLUMNS: Final = ("topic", "exam_or_organ", "population", "quantity", "where_read")
#: NCICT 2015 Table 1 prints "—" for values below 0.02 (transcribed ``<0.02``)
BELOW_TABULATED: Final = "<0.02"
#: organ absent from the phantom (a sex-specific organ), as printed
NOT_APPLICABLE: Final = "NA"
PLUS_MINUS: Final = "+/-"

SPECS: Final[dict[str, TableSpec]] = {
    spec.name: spec
    for spec in (
        TableSpec(
            "icrp103_tissue_weights",
            "w_T_icrp103_dimensionless",
            "1",
            ("tissue_key", "role", "w_T_icrp103_dimensionless", "w_T_icrp60_dimensionless"),
            text_values=frozenset({"in_remainder"}),
        ),
        TableSpec(
            "ct_k_factors",
            "k_mSv_per_mGy_cm",
            "mSv/(mGy.cm)",
            (
                "dataset",
                "icrp_wt_basis",
                "body_region",
                "age_group",
                "kvp_kV",
                "ctdi_phantom_diameter_cm",
            ),
        ),
        TableSpec(
            "ct_organ_dose_coefficients",
            "value",
            None,
            ("record_type", "scan_region", "organ", "age_or_size_class", "sex", "kvp_kV"),
            allowed_units=frozenset(
                {
                    "mGy/mGy",
                    "mGy/(mGy*cm)",
                    "mGy/100 mAs",
                    "mGy/mGy (organ dose / SSDE)",
                    "ratio",
                    "dose ratio",
                    "fit quality",
                    "% change of organ dose/CTDIvol",
                    "% coefficient of variation of h across organs",
                    "% difference organ dose vs SSDE",
                }
            ),
            text_record_types=frozenset(
                {
                    "range",
                    "edge_ratio",
                    "h_ss_range",
                    "variability",
                    "kv_dependence",
                    "size_fit",
                    "size_fit_per_100mAs",
                }
            ),
        ),
        TableSpec(
            "ssde_conversion",
            "value",
            None,
            ("record_type", "ctdi_phantom_diameter_cm", "input_quantity", "input_value"),
            allowed_units=frozenset({"dimensionless", "1/cm", "cm"}),
            alt_value_column="effective_diameter_cm",
        ),
        TableSpec(
            "radiography_conversion",
            "E_per_KAP_mSv_per_Gy_cm2",
            None,
            ("exam", "projection", "population", "icrp_wt_basis"),
            allowed_units=frozenset({"mSv/(Gy*cm2)"}),
            range_columns=("E_per_KAP_low", "E_per_KAP_high"),
        ),
        TableSpec(
            "fluoro_conversion",
            "value",
            None,
            ("record_type", "procedure_or_quantity", "qualifier", "population"),
            allowed_units=frozenset({"mSv/(Gy*cm2)", "Gy", "Gy*cm2", "min"}),
            text_record_types=frozenset({"skin_effect_band"}),
            range_columns=("value_low", "value_high"),
        ),
        TableSpec(
            "mammography_dance",
            "value",
            None,
            ("record_type", "target_filter", "hvl_mmAl_or_phantom", "breast_thickness_cm"),
            allowed_units=frozenset(
                {
                    "dimensionless",
                    "mGy",
                    "mGy/mGy (MGD per incident air kerma, 50% glandularity)",
                }
            ),
        ),
        TableSpec(
            "skin_dose_factors",
            "value",
            "1",
            ("factor", "application", "value_low", "value_high"),
        ),
        # reference additions 2026-12 (shared/reference/additions-2026-12, copied unchanged):
        # one column layout, ``<0.02`` / ``NA`` markers kept as text (value None)
        TableSpec(
            "ct_organ_dose_per_ctdivol_ncict2015",
            "value",
            None,
            ADDITIONS_COLUMNS,
            allowed_units=frozenset({"mGy/mGy", "mGy", "%"}),
            text_values=frozenset({BELOW_TABULATED, NOT_APPLICABLE}),
            signed_units=frozenset({"%"}),
        ),
        TableSpec(
            "radiography_e_per_kap_hpa_crce_028",
            "value",
            None,
            ADDITIONS_COLUMNS,
            allowed_units=frozenset({"mSv/(Gy cm2)"}),
        ),
        TableSpec(
            "fluoro_e_per_kap",
            "value",
            None,
            ADDITIONS_COLUMNS,
            allowed_units=frozenset({"mSv/(Gy*cm2)", "1", "%"}),
            # descriptive rows: a ratio pair and a percentage range (never used as numbers)
            text_values=frozenset({"1.24 / 1.10", "10-30"}),
            plus_minus=True,
        ),
        TableSpec(
            "nm_dose_coefficients",
            "E_mSv_per_MBq",
            "mSv/MBq",
            ("radiopharmaceutical", "age_group", "E_wt_basis", "critical_organ"),
        ),
    )
}


@dataclass(frozen=True, slots=True)
class ReferenceRow:
    """One validated row: the raw fields plus the parsed value, unit and provenance."""

    table: str
    row_number: int  # 1-based data row (header excluded)
    fields: Mapping[str, str] = field(repr=False)
    value: float | None
    unit: str
    source: str
    verification: Verification

    @property
    def locator(self) -> str:
        return f"organ_models/data/{self.table}.csv row {self.row_number}"

    @property
    def indicative(self) -> bool:
        return not self.verification.usable

    def get(self, column: str) -> str:
        return self.fields.get(column, "").strip()

    def number(self, column: str) -> float | None:
        text = self.get(column)
        if not text:
            return None
        try:
            return float(text)
        except ValueError:
            return None

    def plus_minus(self) -> float | None:
        """The ``u`` of a value written ``v +/- u`` (same unit as the value), else None."""
        _, sep, spread = self.get("value").partition(PLUS_MINUS)
        if not sep:
            return None
        return float(spread)

    def require_value(self) -> float:
        if self.value is None:
            raise ReferenceDataError(f"{self.locator} has no numeric value")
        return self.value

    def coefficient(
        self, name: str, value: float | None = None, unit: str | None = None
    ) -> Coefficient:
        """This row as a :class:`Coefficient` (``value``/``unit`` override for fit params)."""
        number = self.require_value() if value is None else value
        return Coefficient(
            name=name,
            value=number,
            unit=self.unit if unit is None else unit,
            source=self.source,
            locator=self.locator,
            verification=self.verification,
        )


@dataclass(frozen=True, slots=True)
class ReferenceTable:
    """A validated table with its version (data release + content hash)."""

    name: str
    version: str
    rows: tuple[ReferenceRow, ...]
    #: rows by the values of a set of columns, built on the first look-up by those columns
    #: (a CT report asks the 3,000-row NCICT table ~10 times per event: a scan each time
    #: cost more than the rest of the estimate)
    _index: dict[tuple[str, ...], dict[tuple[str, ...], list[ReferenceRow]]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def select(self, policy: ReferencePolicy, **criteria: str) -> list[ReferenceRow]:
        """Rows matching every ``column=value`` criterion that the policy admits."""
        return [
            row
            for row in self._matching(criteria)
            if policy.admits(row.verification) and row.value is not None
        ]

    def select_fits(self, policy: ReferencePolicy, **criteria: str) -> list[ReferenceRow]:
        """Admitted rows whose numbers live in other columns (fit constants)."""
        return [row for row in self._matching(criteria) if policy.admits(row.verification)]

    def lookup(self, policy: ReferencePolicy, **criteria: str) -> ReferenceRow:
        """The single usable row matching ``criteria``; a clear error otherwise.

        The error says whether no row exists, whether the only rows are unverified (refused
        by the policy) or whether the value was never retrieved.
        """
        usable = self.select(policy, **criteria)
        if usable:
            return usable[0]
        matching = self._matching(criteria)
        what = ", ".join(f"{k}={v}" for k, v in criteria.items())
        if not matching:
            raise ReferenceDataError(f"{self.name}: no row for {what}")
        levels = sorted({row.verification for row in matching})
        if any(row.verification.indicative for row in matching):
            raise ReferencePolicyRefusedError(
                f"{self.name}: the only rows for {what} are {'/'.join(levels)}; "
                "refused by the reference policy (allow_indicative=False)"
            )
        raise ReferenceDataError(f"{self.name}: the value for {what} was not retrieved")

    def _matching(self, criteria: Mapping[str, str]) -> list[ReferenceRow]:
        """The rows whose ``column`` equals ``wanted`` for every criterion, in table order."""
        columns = tuple(sorted(criteria))
        index = self._index.get(columns)
        if index is None:
            index = {}
            for row in self.rows:
                index.setdefault(tuple(row.get(c) for c in columns), []).append(row)
            self._index[columns] = index
        return list(index.get(tuple(criteria[c] for c in columns), ()))


def _parse_table(spec: TableSpec, text: str, version: str) -> ReferenceTable:
    reader = csv.DictReader(io.StringIO(text))
    columns = set(reader.fieldnames or ())
    missing = [
        c for c in (*spec.required, spec.value_column, "source", "verification") if c not in columns
    ]
    if spec.unit is None and "unit" not in columns:
        missing.append("unit")
    if missing:
        raise ReferenceDataError(f"{spec.name}.csv: missing columns {missing}")
    rows: list[ReferenceRow] = []
    for number, raw in enumerate(reader, start=1):
        where = f"{spec.name}.csv row {number}"
        level = (raw.get("verification") or "").strip()
        if level not in ALL_LEVELS:
            raise ReferenceDataError(f"{where}: unknown verification level {level!r}")
        verification = Verification(level)
        source = (raw.get("source") or "").strip()
        if not source:
            raise ReferenceDataError(f"{where}: no source")
        unit = spec.unit if spec.unit is not None else (raw.get("unit") or "").strip()
        if spec.allowed_units and unit not in spec.allowed_units:
            raise ReferenceDataError(f"{where}: unexpected unit {unit!r}")
        record_type = (raw.get("record_type") or "").strip()
        text_value = (raw.get(spec.value_column) or "").strip()
        if not text_value and spec.alt_value_column:
            text_value = (raw.get(spec.alt_value_column) or "").strip()
        if not text_value and spec.range_columns and record_type not in spec.text_record_types:
            low = (raw.get(spec.range_columns[0]) or "").strip()
            high = (raw.get(spec.range_columns[1]) or "").strip()
            if low and high:
                text_value = str((float(low) + float(high)) / 2.0)
        value: float | None = None
        if spec.plus_minus and PLUS_MINUS in text_value:
            text_value = _plus_minus_central(text_value, where)
        if text_value:
            try:
                value = float(text_value)
            except ValueError:
                if record_type not in spec.text_record_types and (
                    text_value not in spec.text_values
                ):
                    raise ReferenceDataError(
                        f"{where}: value {text_value!r} is not a number"
                    ) from None
        elif (
            verification.usable
            and record_type not in spec.text_record_types
            and not spec.text_values
        ):
            raise ReferenceDataError(f"{where}: {verification} row without a value")
        if value is not None and value < 0 and unit not in spec.signed_units:
            raise ReferenceDataError(f"{where}: negative value {value}")
        rows.append(
            ReferenceRow(
                table=spec.name,
                row_number=number,
                fields={k: (v or "") for k, v in raw.items() if k is not None},
                value=value,
                unit=unit,
                source=source,
                verification=verification,
            )
        )
    if not rows:
        raise ReferenceDataError(f"{spec.name}.csv: no rows")
    return ReferenceTable(name=spec.name, version=version, rows=tuple(rows))


def _plus_minus_central(text: str, where: str) -> str:
    central, _, spread = text.partition(PLUS_MINUS)
    try:
        float(spread)
    except ValueError:
        raise ReferenceDataError(f"{where}: spread of {text!r} is not a number") from None
    return central.strip()


def table_version(content: bytes) -> str:
    """``<data release>+<sha256 prefix>`` of a table's bytes."""
    return f"{DATA_RELEASE}+{hashlib.sha256(content).hexdigest()[:12]}"


def parse_table(name: str, content: bytes) -> ReferenceTable:
    """Validate ``content`` as table ``name`` (used by the loader and by tests)."""
    spec = SPECS.get(name)
    if spec is None:
        raise ReferenceDataError(f"unknown reference table {name!r}")
    return _parse_table(spec, content.decode("utf-8"), table_version(content))


@cache
def load_table(name: str) -> ReferenceTable:
    """Read and validate one packaged table (cached after the first call)."""
    if name not in SPECS:
        raise ReferenceDataError(f"unknown reference table {name!r}")
    resource = resources.files("organ_models").joinpath("data", f"{name}.csv")
    try:
        content = resource.read_bytes()
    except FileNotFoundError as exc:
        raise ReferenceDataError(f"reference table {name}.csv is not installed") from exc
    return parse_table(name, content)


def load_all() -> dict[str, ReferenceTable]:
    """Every packaged table, validated."""
    return {name: load_table(name) for name in SPECS}


def table_versions(names: Iterable[str]) -> str:
    """One version string for the tables an estimate used (sorted, ``;``-joined)."""
    return ";".join(f"{n}@{load_table(n).version}" for n in sorted(set(names)))
