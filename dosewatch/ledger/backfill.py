"""Backfill progress rows (:mod:`dosewatch.ledger.backfill_models`): runs, items, counts.

Every function works in the caller's session and transaction. State changes are
conditional updates, so a worker finishing an item before the enqueuer marked it enqueued,
or two deliveries of one task, never move an item backwards.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from dosewatch.domain.errors import LedgerError
from dosewatch.ledger.backfill_models import BackfillItem, BackfillRun, ItemState
from dosewatch.ledger.identity import insert_ignore, now


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def run_key(source: str, since: date | None, until: date | None) -> str:
    return _sha(f"{source}\x1f{since}\x1f{until}")


def open_run(
    session: Session,
    source: str,
    since: date | None,
    until: date | None,
    establishment: str | None,
) -> BackfillRun:
    """The unfinished run of this source and window (resumed), else a new one."""
    key = run_key(source, since, until)
    run = session.scalars(
        select(BackfillRun)
        .where(BackfillRun.run_key == key, BackfillRun.finished_at.is_(None))
        .order_by(BackfillRun.id.desc())
        .limit(1)
    ).first()
    if run is not None:
        return run
    run = BackfillRun(
        run_key=key,
        source=source,
        since=since,
        until=until,
        establishment=establishment,
        enumerated=False,
        started_at=now(),
    )
    session.add(run)
    session.flush()
    return run


def add_items(session: Session, run_id: int, refs: Iterable[str]) -> None:
    """Insert the refs not yet in the run (re-enumeration after a crash adds nothing twice)."""
    for ref in refs:
        insert_ignore(
            session,
            BackfillItem,
            {
                "run_id": run_id,
                "ref": ref,
                "ref_hash": _sha(ref),
                "state": ItemState.PENDING.value,
                "attempts": 0,
            },
        )


def pending(session: Session, run_id: int, limit: int) -> list[int]:
    return list(
        session.scalars(
            select(BackfillItem.id)
            .where(BackfillItem.run_id == run_id, BackfillItem.state == ItemState.PENDING.value)
            .order_by(BackfillItem.id)
            .limit(limit)
        )
    )


def mark_enqueued(session: Session, item_ids: list[int]) -> None:
    session.execute(
        update(BackfillItem)
        .where(BackfillItem.id.in_(item_ids), BackfillItem.state == ItemState.PENDING.value)
        .values(state=ItemState.ENQUEUED.value, updated_at=now())
    )


@dataclass(frozen=True, slots=True)
class Started:
    """A task start: the item's ref, its attempts so far (this one included), its run's
    establishment; for an item already done (a second delivery), what became of it."""

    ref: str
    attempts: int
    establishment: str | None
    done: bool = False
    outcome: str | None = None
    reason: str | None = None
    sop_instance_uid: str | None = None


def start_attempt(session: Session, item_id: int) -> Started:
    """Count one more start of the item's task (committed before the work begins)."""
    item = session.get(BackfillItem, item_id, with_for_update=True)
    if item is None:
        raise LedgerError(f"no backfill item {item_id}")
    run = session.get(BackfillRun, item.run_id)
    establishment = None if run is None else run.establishment
    if item.state == ItemState.DONE.value:
        return Started(
            item.ref,
            item.attempts,
            establishment,
            done=True,
            outcome=item.outcome,
            reason=item.reason,
            sop_instance_uid=item.sop_instance_uid,
        )
    item.attempts += 1
    item.updated_at = now()
    return Started(item.ref, item.attempts, establishment)


def finish(
    session: Session, item_id: int, status: str, reason: str | None, sop_uid: str | None
) -> None:
    session.execute(
        update(BackfillItem)
        .where(BackfillItem.id == item_id, BackfillItem.state != ItemState.DONE.value)
        .values(
            state=ItemState.DONE.value,
            outcome=status,
            reason=None if reason is None else reason[:64],
            sop_instance_uid=None if sop_uid is None else sop_uid[:64],
            updated_at=now(),
        )
    )


def mark_enumerated(session: Session, run_id: int) -> None:
    session.execute(update(BackfillRun).where(BackfillRun.id == run_id).values(enumerated=True))


def close_if_done(session: Session, run_id: int) -> bool:
    """Set ``finished_at`` when the run is enumerated and every item is done."""
    run = session.get(BackfillRun, run_id)
    if run is None or not run.enumerated:
        return False
    if run.finished_at is not None:
        return True
    left = session.scalar(
        select(func.count())
        .select_from(BackfillItem)
        .where(BackfillItem.run_id == run_id, BackfillItem.state != ItemState.DONE.value)
    )
    if left:
        return False
    run.finished_at = now()
    return True


@dataclass(slots=True)
class RunStatus:
    """Counts of one run: per state, and per outcome of the done items."""

    run_id: int
    source: str
    since: date | None
    until: date | None
    enumerated: bool
    finished: bool
    states: dict[str, int] = field(default_factory=dict)
    outcomes: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.states.values())

    @property
    def done(self) -> int:
        return self.states.get(ItemState.DONE.value, 0)

    @property
    def in_flight(self) -> int:
        return self.states.get(ItemState.ENQUEUED.value, 0)

    def to_json(self) -> dict[str, object]:
        return {
            "run": self.run_id,
            "source": self.source,
            "since": None if self.since is None else self.since.isoformat(),
            "until": None if self.until is None else self.until.isoformat(),
            "enumerated": self.enumerated,
            "finished": self.finished,
            "objects": self.total,
            **{state.value: self.states.get(state.value, 0) for state in ItemState},
            "outcomes": dict(sorted(self.outcomes.items())),
        }


def status(session: Session, run_ids: list[int] | None = None) -> list[RunStatus]:
    """Progress of the given runs (default: all, newest first)."""
    statement = select(BackfillRun).order_by(BackfillRun.id.desc())
    if run_ids is not None:
        statement = statement.where(BackfillRun.id.in_(run_ids))
    runs = {
        r.id: RunStatus(r.id, r.source, r.since, r.until, r.enumerated, r.finished_at is not None)
        for r in session.scalars(statement)
    }
    if not runs:
        return []
    rows = session.execute(
        select(BackfillItem.run_id, BackfillItem.state, BackfillItem.outcome, func.count())
        .where(BackfillItem.run_id.in_(list(runs)))
        .group_by(BackfillItem.run_id, BackfillItem.state, BackfillItem.outcome)
    )
    for run_id, state, outcome, count in rows:
        entry = runs[run_id]
        entry.states[state] = entry.states.get(state, 0) + count
        if outcome is not None:
            entry.outcomes[outcome] = entry.outcomes.get(outcome, 0) + count
    return list(runs.values())
