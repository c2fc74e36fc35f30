"""Body regions of an exposure, defined once (CT k factors, organ-dose tables, NRD, cumulative).

Values are the region keys of the reference tables (``ct_k_factors.csv`` ``body_region``),
so a member compares equal to the table text.
"""

from __future__ import annotations

import enum


class BodyRegion(enum.StrEnum):
    HEAD = "head"
    NECK = "neck"
    HEAD_AND_NECK = "head_and_neck"
    CHEST = "chest"
    CARDIAC = "cardiac"
    BREAST = "breast"
    ABDOMEN = "abdomen"
    PELVIS = "pelvis"
    ABDOMEN_PELVIS = "abdomen_pelvis"
    CHEST_ABDOMEN_PELVIS = "chest_abdomen_pelvis"
    TRUNK = "trunk"
    SPINE = "spine"
    CERVICAL_SPINE = "cervical_spine"
    THORACIC_SPINE = "thoracic_spine"
    LUMBAR_SPINE = "lumbar_spine"
    EXTREMITY = "extremity"
    UPPER_EXTREMITY = "upper_extremity"
    LOWER_EXTREMITY = "lower_extremity"
    WHOLE_BODY = "whole_body"

    @property
    def is_head(self) -> bool:
        """Head-type regions, whose CTDI phantom is the 16 cm one for adults."""
        return self in (BodyRegion.HEAD, BodyRegion.HEAD_AND_NECK)
