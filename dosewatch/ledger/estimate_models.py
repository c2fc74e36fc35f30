"""Typed inputs of an estimate: what a model used, as numbers with units and codes.

An estimate can be recomputed from what is stored: its event's indicator columns, its
model id and versions, its coefficients (value, unit, source, locator) and these inputs —
patient facts, region, phantom, each with ``assumed`` set when the model used a default.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dosewatch.ledger.models import Base


class EstimateInputRow(Base):
    """One input of one estimate (TID 10030-style: a quantity with its UCUM unit, or a code).

    Exactly what the model received: ``value`` + ``unit`` for a number, ``code_*`` for a
    coded concept (scheme, value, meaning), ``text`` when the model gave only words.
    Estimates of one report with identical input lists share the rows of the first of them
    (``EstimateRow.inputs_of_id``; join through ``dosewatch.ledger.estimates.INPUTS_OWNER``).
    """

    __tablename__ = "estimate_input"

    id: Mapped[int] = mapped_column(primary_key=True)
    estimate_id: Mapped[int] = mapped_column(ForeignKey("estimate.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(64))
    value: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str | None] = mapped_column(String(16))
    code_scheme: Mapped[str | None] = mapped_column(String(16))
    code_value: Mapped[str | None] = mapped_column(String(64))
    code_meaning: Mapped[str | None] = mapped_column(String(200))
    text: Mapped[str | None] = mapped_column(Text)
    assumed: Mapped[bool] = mapped_column(Boolean)
