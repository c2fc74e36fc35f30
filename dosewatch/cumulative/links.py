"""Person links and unlinks that keep the alerts right (the ledger's identity rules + alerts).

:func:`dosewatch.ledger.identity.link_persons` moves one person's identifiers and studies to
another; the ledger cannot re-evaluate alerts (it never imports this package), so every
caller that links or unlinks persons goes through here: both persons' alerts are reconciled
in the same transaction — the merged history raises what it now crosses (once: alert keys
are unique), and what no longer holds for either person is withdrawn (kept, audited).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from dosewatch.cumulative.alerts import reconcile
from dosewatch.ledger import identity
from dosewatch.ledger.models import PatientIdentifierRow


def link_persons(session: Session, keep_id: int, merge_id: int, reason: str, actor: str) -> None:
    """Link ``merge_id`` into ``keep_id`` (audited), then re-evaluate both persons' alerts."""
    identity.link_persons(session, keep_id, merge_id, reason, actor)
    session.flush()
    # the kept person first: per-exam alerts of the moved studies follow their study
    reconcile(session, keep_id)
    reconcile(session, merge_id)  # its history is empty now: what it still had is withdrawn


def unlink_identifier(
    session: Session, key: bytes, identifier_id: int, reason: str, actor: str
) -> int:
    """Detach one identifier into a new person (audited), then re-evaluate both persons."""
    row = session.get(PatientIdentifierRow, identifier_id)
    old_person = None if row is None else row.person_id
    new_person = identity.unlink_identifier(session, key, identifier_id, reason, actor)
    session.flush()
    reconcile(session, new_person)
    if old_person is not None:  # (an unknown identifier was refused by the unlink)
        reconcile(session, old_person)
    return new_person
