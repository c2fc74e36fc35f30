"""Quantities with UCUM units and the one conversion table of dosewatch.

Every number that leaves a parser travels as a :class:`Quantity`. Conversion is
only possible between units of the same dimension listed in :data:`UNITS`;
anything else raises :class:`~dosewatch.domain.errors.UnitError`. Vendor
spellings ("Gym2", "Gy.cm^2") are *not* accepted here: parsers normalise them
through their quirks table and record a finding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

from dosewatch.domain.errors import UnitError

#: UCUM unit -> (dimension, factor to the dimension's base unit)
UNITS: Final[dict[str, tuple[str, float]]] = {
    # absorbed dose / air kerma (base Gy)
    "Gy": ("dose", 1.0),
    "dGy": ("dose", 1e-1),
    "cGy": ("dose", 1e-2),
    "mGy": ("dose", 1e-3),
    "uGy": ("dose", 1e-6),
    # equivalent / effective dose (base Sv)
    "Sv": ("equivalent_dose", 1.0),
    "mSv": ("equivalent_dose", 1e-3),
    "uSv": ("equivalent_dose", 1e-6),
    # dose-area product (base Gy.m2)
    "Gy.m2": ("dose_area", 1.0),
    "dGy.m2": ("dose_area", 1e-1),
    "mGy.m2": ("dose_area", 1e-3),
    "uGy.m2": ("dose_area", 1e-6),
    "Gy.cm2": ("dose_area", 1e-4),
    "dGy.cm2": ("dose_area", 1e-5),
    "cGy.cm2": ("dose_area", 1e-6),
    "mGy.cm2": ("dose_area", 1e-7),
    "uGy.cm2": ("dose_area", 1e-10),
    # dose-length product (base Gy.m)
    "Gy.m": ("dose_length", 1.0),
    "mGy.cm": ("dose_length", 1e-5),
    "mGy.mm": ("dose_length", 1e-6),
    "Gy.cm": ("dose_length", 1e-2),
    # activity (base Bq)
    "Bq": ("activity", 1.0),
    "kBq": ("activity", 1e3),
    "MBq": ("activity", 1e6),
    "GBq": ("activity", 1e9),
    "mCi": ("activity", 3.7e7),
    "uCi": ("activity", 3.7e4),
    "Ci": ("activity", 3.7e10),
    # time (base s)
    "s": ("time", 1.0),
    "ms": ("time", 1e-3),
    "us": ("time", 1e-6),
    "min": ("time", 60.0),
    "h": ("time", 3600.0),
    "d": ("time", 86400.0),
    "wk": ("time", 604800.0),
    "mo": ("time", 2629800.0),
    "a": ("time", 31557600.0),
    # length (base m)
    "m": ("length", 1.0),
    "cm": ("length", 1e-2),
    "mm": ("length", 1e-3),
    "um": ("length", 1e-6),
    # area (base m2)
    "m2": ("area", 1.0),
    "cm2": ("area", 1e-4),
    "mm2": ("area", 1e-6),
    # mass (base kg)
    "kg": ("mass", 1.0),
    "g": ("mass", 1e-3),
    # electrical
    "kV": ("voltage", 1.0),
    "V": ("voltage", 1e-3),
    "mA": ("current", 1.0),
    "A": ("current", 1e3),
    "mA.s": ("charge", 1.0),
    "uA.s": ("charge", 1e-3),
    # angle
    "deg": ("angle", 1.0),
    # rates
    "/s": ("rate", 1.0),
    "{pulse}/s": ("rate", 1.0),
    "mGy/s": ("dose_rate", 1e-3),
    "mL/min": ("flow", 1.0),
    # CT output per charge
    "mGy/mA.s": ("dose_per_charge", 1.0),
    # dimensionless
    "1": ("dimensionless", 1.0),
    "%": ("dimensionless", 1e-2),
    "{ratio}": ("dimensionless", 1.0),
    # conversion coefficients
    "mSv/(mGy.cm)": ("e_per_dlp", 1.0),
    "mSv/(Gy.cm2)": ("e_per_kap", 1.0),
    "mSv/MBq": ("e_per_activity", 1.0),
    "mGy/MBq": ("d_per_activity", 1.0),
    "mGy/mGy": ("dose_ratio", 1.0),
    # clinical measurements seen in RRDSR patient characteristics
    "mL": ("volume", 1.0),
    "L": ("volume", 1e3),
    "cm3": ("volume", 1.0),
    "mg/dL": ("mass_concentration", 1.0),
    "mmol/L": ("substance_concentration", 1.0),
    "Bq/mmol": ("specific_activity", 1.0),
    "MBq/mL": ("activity_concentration", 1.0),
    "kg/m2": ("mass_per_area", 1.0),
    "mL/min{1.73_m2}": ("gfr", 1.0),
    # mammography half-value layer
    "mm[Al]": ("hvl", 1.0),
}

#: counted quantities ("{events}", "{X-Ray sources}", "{pulses}", "{frames}") and
#: any annotation-only UCUM unit are dimensionless counts.
_COUNT_PREFIX: Final = "{"


def dimension_of(unit: str) -> str:
    """The dimension of a UCUM unit, or raise :class:`UnitError`."""
    entry = UNITS.get(unit)
    if entry is not None:
        return entry[0]
    if unit.startswith(_COUNT_PREFIX) and unit.endswith("}"):
        return "count"
    raise UnitError(f"unknown unit {unit!r}")


def is_known_unit(unit: str) -> bool:
    try:
        dimension_of(unit)
    except UnitError:
        return False
    return True


def conversion_factor(from_unit: str, to_unit: str) -> float:
    """Factor f so that value[to_unit] = f * value[from_unit]."""
    if from_unit == to_unit:
        return 1.0
    src = UNITS.get(from_unit)
    dst = UNITS.get(to_unit)
    if src is None or dst is None:
        missing = from_unit if src is None else to_unit
        raise UnitError(f"cannot convert {from_unit!r} to {to_unit!r}: unknown unit {missing!r}")
    if src[0] != dst[0]:
        raise UnitError(
            f"cannot convert {from_unit!r} ({src[0]}) to {to_unit!r} ({dst[0]}): "
            "different dimensions"
        )
    return src[1] / dst[1]


@dataclass(frozen=True, slots=True)
class Quantity:
    """A value with its UCUM unit. Immutable; convert with :meth:`to`."""

    value: float
    unit: str

    def __post_init__(self) -> None:
        if not isinstance(self.value, float | int) or isinstance(self.value, bool):
            raise UnitError(f"quantity value must be a number, got {type(self.value).__name__}")
        dimension_of(self.unit)

    def to(self, unit: str) -> Quantity:
        """This quantity expressed in ``unit`` (same dimension)."""
        if unit == self.unit:
            return self
        return Quantity(self.value * conversion_factor(self.unit, unit), unit)

    def value_in(self, unit: str) -> float:
        """The bare number in ``unit``; the one place where a unit is dropped on purpose."""
        return self.to(unit).value

    @property
    def is_finite(self) -> bool:
        return math.isfinite(self.value)

    def __str__(self) -> str:
        return f"{self.value:g} {self.unit}"


def q(value: float | None, unit: str) -> Quantity | None:
    """Convenience: a Quantity, or None when value is None."""
    return None if value is None else Quantity(float(value), unit)
