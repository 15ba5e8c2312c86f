"""Naming an account in a post file or a CSV row: ``network:handle``, ``handle`` or ``network``.

Handles compare without a leading ``@`` and without case; a bare network name is enough when
the workspace has exactly one account on that network. Anything else that is not exactly
one account is a UserError that lists what the workspace has.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from sociable.errors import UserError
from sociable.store.models import Account, Workspace


def _norm(handle: str) -> str:
    return handle.strip().lstrip("@").lower()


class AccountIndex:
    """The workspace's accounts, looked up by the names people write."""

    def __init__(self, accounts: Sequence[Account]) -> None:
        self.accounts = list(accounts)

    @classmethod
    def load(cls, session: Session, workspace: Workspace) -> AccountIndex:
        rows = session.scalars(
            select(Account).where(Account.workspace_id == workspace.id).order_by(Account.id)
        ).all()
        return cls(rows)

    def known(self) -> str:
        names = [f"{a.network}:{a.handle}" for a in self.accounts]
        return ", ".join(names) if names else "none yet (add one with `sociable accounts add`)"

    def resolve(self, ref: str, where: str) -> Account:
        text = ref.strip()
        if not text:
            raise UserError("accounts: an empty account name", where=where)
        if text.startswith("#") and text[1:].isdigit():
            found = [a for a in self.accounts if a.id == int(text[1:])]
        elif ":" in text and not text.startswith("@"):
            network, handle = text.split(":", 1)
            found = [
                a
                for a in self.accounts
                if a.network.lower() == network.strip().lower() and _norm(a.handle) == _norm(handle)
            ]
        else:
            found = [a for a in self.accounts if _norm(a.handle) == _norm(text)]
            if not found:
                found = [a for a in self.accounts if a.network.lower() == text.lower()]
        if len(found) == 1:
            return found[0]
        if not found:
            raise UserError(
                f"accounts: unknown account {ref!r}; this workspace has: {self.known()}",
                where=where,
            )
        options = ", ".join(f"{a.network}:{a.handle}" for a in found)
        raise UserError(f"accounts: {ref!r} is ambiguous; write one of: {options}", where=where)

    def resolve_all(self, refs: Sequence[str], where: str) -> list[Account]:
        out: list[Account] = []
        for ref in refs:
            account = self.resolve(ref, where)
            if account not in out:
                out.append(account)
        return out
