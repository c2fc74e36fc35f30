"""Estimates stored in the ledger keep typed inputs and origin: recomputable from the row."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from dosewatch.domain.estimate import EstimateInput
from dosewatch.ledger.db import session_factory
from dosewatch.ledger.ingest import Ingestor
from dosewatch.ledger.models import EstimateRow

DATA = Path(__file__).parents[1] / "data" / "openrem"


def test_ct_effective_dose_recomputes_from_stored_inputs(ingestor: Ingestor) -> None:
    outcome = ingestor.ingest_path(DATA / "CT-RDSR-Siemens_Flash-TAP-SS.dcm")
    assert outcome.status == "recorded"
    with session_factory(ingestor.engine)() as session:
        rows = session.scalars(
            select(EstimateRow).where(EstimateRow.model_id == "ct.effective.k_dlp")
        ).all()
        assert rows
        for row in rows:
            assert row.inputs["origin"] == "model"
            inputs = {i.name: i for i in map(EstimateInput.from_json, row.inputs["inputs"])}
            dlp, ctdi, k_phantom = inputs["dlp"], inputs["ctdi_phantom"], inputs["k_phantom"]
            assert dlp.quantity is not None and dlp.quantity.unit == "mGy.cm"
            assert ctdi.quantity is not None and k_phantom.quantity is not None
            ratio = {(32.0, 16.0): 2.0, (16.0, 32.0): 0.5}.get(
                (ctdi.quantity.value, k_phantom.quantity.value), 1.0
            )
            (k,) = row.inputs["coefficients"]
            assert k["unit"] == "mSv/(mGy.cm)" and k["verification"] == "verified"
            assert row.value == k["value"] * dlp.quantity.value * ratio
