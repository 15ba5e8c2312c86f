"""Every model module in this package, imported so ``Base.metadata`` is complete.

Add a module here (one per domain: ``core``, ``publish``, ``track``, ``audit`` ...) and it is
picked up by Alembic and the tests without editing this file.
"""

from __future__ import annotations

import importlib
import pkgutil

from sociable.store.models.core import Account, MediaAsset, Membership, Role, User, Workspace

for _info in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_info.name}")

__all__ = ["Account", "MediaAsset", "Membership", "Role", "User", "Workspace"]
