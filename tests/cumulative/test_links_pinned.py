""":func:`dosewatch.cumulative.links.unlink_identifier` of an unknown identifier: the ledger's
refusal, raised before anything is written or re-evaluated (issue #15)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from dosewatch.cumulative import links
from dosewatch.domain.errors import LedgerError
from dosewatch.ingest.pipeline import Ingestor
from dosewatch.ledger.alert_models import AlertRow
from dosewatch.ledger.db import session_factory
from dosewatch.ledger.models import AuditEvent, Person


def test_unlinking_an_unknown_identifier_is_the_ledgers_refusal(ingestor: Ingestor) -> None:
    with session_factory(ingestor.engine)() as session:
        with pytest.raises(LedgerError) as refused:
            links.unlink_identifier(session, b"k", 9999, "not the same patient", "physicist")
        assert str(refused.value) == "unknown patient identifier 9999"
        session.flush()
        assert session.scalars(select(Person)).all() == []
        assert session.scalars(select(AuditEvent)).all() == []
        assert session.scalars(select(AlertRow)).all() == []
