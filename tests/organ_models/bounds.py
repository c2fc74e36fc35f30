"""Published ranges of effective dose per dose indicator, to catch a wrong formula (k / DLP,
a dropped factor) in tests that loop over many reports.

* CT E/DLP: Lee 2012 Table XII and AAPM Report 96 k span 0.0013 (adult head) to 0.051
  mSv/(mGy.cm) (newborn chest); a 32 -> 16 cm DLP conversion can double it: [0.001, 0.11].
* Projection E/KAP: HPA-CRCE-028 Table 7 spans 0.0032 (foot) to 0.24 (thoracic spine); adult
  interventional 0.16-0.57 (Vano 2019, Vetter 2004), paediatric cardiac up to 3.7
  (Karambatsakidou 2009 newborn): [0.003, 3.8] mSv/(Gy.cm2).
* NM e: ICRP 128 / Andersson 2014 coefficients in the tables span 0.0057 (adult MDP) to 0.10
  (FDG 1 y): [0.005, 0.11] mSv/MBq.
"""

from __future__ import annotations

from dosewatch.domain.estimate import Estimate

#: input name -> (unit, low, high) of E per unit of that input
E_PER_INDICATOR: dict[str, tuple[str, float, float]] = {
    "dlp": ("mGy.cm", 0.001, 0.11),
    "kap": ("Gy.cm2", 0.003, 3.8),
    "administered_activity": ("MBq", 0.005, 0.11),
}


def check_effective_dose(e: Estimate) -> bool:
    """Assert E / indicator within the published range; True when an indicator was found."""
    for name, (unit, low, high) in E_PER_INDICATOR.items():
        item = e.input(name)
        if item is None or item.quantity is None:
            continue
        indicator = item.quantity.value_in(unit)
        if indicator <= 0:
            continue
        ratio = e.value.value_in("mSv") / indicator
        assert low <= ratio <= high, (e.model_id, name, ratio)
        return True
    return False
