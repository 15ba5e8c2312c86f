"""The queue: each account's weekly slots, and which of them are already taken.

Slots live in the account's non-secret settings (``Account.settings``), not in a table::

    {"slots": ["mon 09:00", "wed 12:30"], "timezone": "Europe/Paris"}

Why JSON and not a table: a slot list is small, always read whole with its account, and
never queried across accounts; keeping it beside the account needs no migration and no join.
``timezone`` defaults to the workspace's zone.

A slot is *taken* when a publication of that account is due at that instant and still live
(not cancelled, failed or missed). :class:`QueuePlanner` also remembers what it handed out,
so an import of many rows gives each row its own slot before anything is written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from sociable.clock import zone
from sociable.errors import UserError
from sociable.publish.slots import SlotProvider, WeeklySlots, next_free_slot, parse_slots
from sociable.store.models import Account, Workspace
from sociable.store.models.publish import Post, Publication, PubState

#: Publications in these states hold their slot.
HOLDS_SLOT = (
    PubState.SCHEDULED.value,
    PubState.CLAIMED.value,
    PubState.SENDING.value,
    PubState.PUBLISHED.value,
    PubState.FAILED_RETRYABLE.value,
    PubState.UNKNOWN.value,
)


def account_timezone(account: Account, workspace: Workspace) -> str:
    return str((account.settings or {}).get("timezone") or workspace.timezone or "UTC")


def account_slots(account: Account, workspace: Workspace) -> WeeklySlots:
    raw = (account.settings or {}).get("slots") or []
    where = f"account {account.network}:{account.handle}"
    if not isinstance(raw, list):
        raise UserError("settings.slots must be a list like ['mon 09:00']", where=where)
    try:
        return WeeklySlots(parse_slots(str(s) for s in raw), account_timezone(account, workspace))
    except UserError as exc:
        raise UserError(str(exc), where=where) from None


def set_account_slots(
    account: Account, slots: Iterable[str], timezone: str | None = None
) -> WeeklySlots:
    """Replace the account's slots (checked first); returns them parsed."""
    parsed = parse_slots(slots)
    if timezone is not None:
        zone(timezone)
    settings = dict(account.settings or {})
    settings["slots"] = [str(s) for s in parsed]
    if timezone is not None:
        settings["timezone"] = timezone
    account.settings = settings  # a new dict, so SQLAlchemy sees the change
    return WeeklySlots(parsed, settings.get("timezone") or "UTC")


def lock_row(session: Session, model: type[Account] | type[Post], row_id: int) -> None:
    """Hold ``model`` row ``row_id`` until the transaction ends, on either database.

    PostgreSQL: ``SELECT ... FOR UPDATE``. SQLite: a no-op UPDATE, which takes the database's
    one write lock (SQLite reads take none, so a read-then-write could act on stale data).
    """
    if session.get_bind().dialect.name == "sqlite":
        table = model.__tablename__
        session.execute(text(f"UPDATE {table} SET id = id WHERE id = :id"), {"id": row_id})  # noqa: S608
    else:
        session.execute(select(model.id).where(model.id == row_id).with_for_update())


ProviderFactory = Callable[[Account, Workspace], SlotProvider]


def held_times(session: Session, account_id: int) -> set[datetime]:
    """The due times (UTC) of the account's publications that hold their slot (no lock:
    for showing free slots; :meth:`QueuePlanner.taken` locks before it hands one out)."""
    rows = session.scalars(
        select(Publication.due_at).where(
            Publication.account_id == account_id, Publication.state.in_(HOLDS_SLOT)
        )
    ).all()
    return set(rows)


class QueuePlanner:
    """Hands out free slots per account, counting both stored and just-planned times.

    ``provider_for`` is the hook for computed "best times": pass a factory returning any
    :class:`SlotProvider`; the default reads the account's configured weekly slots.
    """

    def __init__(
        self,
        session: Session,
        workspace: Workspace,
        provider_for: ProviderFactory = account_slots,
    ) -> None:
        self.session = session
        self.workspace = workspace
        self.provider_for = provider_for
        self._taken: dict[int, set[datetime]] = {}

    def taken(self, account: Account) -> set[datetime]:
        if account.id not in self._taken:
            # Lock the account before reading its taken slots, so two `queue add` at once
            # cannot both take the same one: the second waits, then sees the first's
            # publication. PostgreSQL: a row lock. SQLite: a no-op write, which takes the
            # database's one write lock (its reads alone take none and would be stale).
            lock_row(self.session, Account, account.id)
            self._taken[account.id] = held_times(self.session, account.id)
        return self._taken[account.id]

    def next_slot(self, account: Account, after: datetime) -> datetime:
        provider = self.provider_for(account, self.workspace)
        if isinstance(provider, WeeklySlots) and not provider.slots:
            raise UserError(
                f"account {account.network}:{account.handle} has no posting slots: add some "
                f"with `sociable queue slots {account.network}:{account.handle} 'mon 09:00'`"
            )
        busy = self.taken(account)
        return next_free_slot(provider, after, busy.__contains__)

    def hold(self, account: Account, instant: datetime) -> None:
        self.taken(account).add(instant)

    def common_slot(self, accounts: list[Account], after: datetime) -> dict[int, datetime]:
        """Each account's next free slot after ``after`` (and hold them)."""
        out = {}
        for account in accounts:
            instant = self.next_slot(account, after)
            self.hold(account, instant)
            out[account.id] = instant
        return out
