"""Physicist views: organ-dose distributions per device and protocol with their outliers,
the skin-dose follow-up list, and finding counts per device (conformance). Persons appear
by pseudonym only; reads that name persons are audited."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.audit import record_read
from api.deps import Db
from api.queries_dose import finding_counts, organ_doses, skin_follow_up
from api.responses import json_response
from api.schemas_dose import FindingCountOut, OrganDosesOut, SkinFollowUpOut
from api.security import NrdReader, Physicist

router = APIRouter(prefix="/api/physics", tags=["physics"])


@router.get("/organ-doses", response_model=OrganDosesOut)
def get_organ_doses(
    db: Db,
    principal: NrdReader,
    organ: Annotated[
        str | None, Query(pattern=r"^\d{4,18}$", description="SNOMED CT code of one organ")
    ] = None,
) -> Response:
    """Box-plot statistics of current organ-dose estimates per organ x establishment x
    device x protocol (newest estimates, bounded), and the outliers above Q3 + 1.5 IQR."""
    out = organ_doses(db, principal.visible_establishments(), organ)
    record_read(
        db,
        principal,
        "physics.organ_doses.read",
        "estimate",
        organ or "all",
        details={"groups": len(out.distributions), "outliers": len(out.outliers)},
    )
    return json_response(out)


@router.get("/skin-follow-up", response_model=list[SkinFollowUpOut])
def get_skin_follow_up(db: Db, principal: Physicist) -> list[SkinFollowUpOut]:
    """Fluoroscopy procedures at or above a substantial radiation dose level, and repeat
    procedures that may have irradiated the same skin (NCRP Report No. 168)."""
    found = skin_follow_up(db, principal.visible_establishments())
    record_read(
        db,
        principal,
        "physics.skin_follow_up.read",
        "person",
        "list",
        details={"items": len(found)},
    )
    return found


@router.get("/findings", response_model=list[FindingCountOut])
def get_findings(db: Db, principal: NrdReader) -> list[FindingCountOut]:
    """Finding codes per device of the current reports (vendor conformance)."""
    return finding_counts(db, principal.visible_establishments())
