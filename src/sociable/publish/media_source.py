"""Where a post's media may come from: the workspace's own uploads, nowhere else on the server.

A post made through the API, the composer or a CSV import names its media as an uploaded
asset (``asset:12``) or as a path inside the workspace's media folder
(``media/workspace-N/``, relative to it or absolute). The path is resolved, symlinks
included, before it is checked to be inside that folder, so ``../``, an absolute path
elsewhere or a symlink pointing out are all refused, with the same message whether or not
such a file exists (the answer must not tell which files the server has).

Only a post file the operator wrote (``sociable post schedule post.md``) may name files
beside it; that path does not use this module.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sociable.errors import UserError
from sociable.store.models import MediaAsset

ASSET_REF = re.compile(r"^asset:([1-9][0-9]{0,9})$")


def workspace_media_dir(media_dir: Path, workspace_id: int) -> Path:
    """The folder a workspace's uploads (and fitted copies) are written to."""
    return media_dir / f"workspace-{workspace_id}"


@dataclass(frozen=True)
class MediaSource:
    root: Path  # every media file must resolve inside this folder
    asset_path: Callable[[int], str | None]  # an asset id of this workspace -> its file
    label: str = "the workspace's media folder"

    def locate(self, raw: str, where: str) -> Path:
        """The resolved file ``raw`` names; a UserError unless it is inside ``root``."""
        ref = ASSET_REF.match(raw.strip())
        if ref:
            stored = self.asset_path(int(ref.group(1)))
            if stored is None:
                raise UserError(f"media: {raw}: no such uploaded asset here", where=where)
            candidate = Path(stored)
        else:
            candidate = Path(raw) if Path(raw).is_absolute() else self.root / raw
        try:
            resolved = candidate.resolve()
            inside = resolved.is_relative_to(self.root.resolve())
        except (OSError, RuntimeError, ValueError):  # a NUL byte, a symlink loop
            inside = False
        if not inside:
            raise UserError(
                f"media: {raw}: not an uploaded asset (asset:ID) or a file in {self.label}",
                where=where,
            )
        return resolved


def workspace_media(session: Session, workspace_id: int, media_dir: Path) -> MediaSource:
    """The media a workspace's posts may carry: its assets and its media folder."""
    root = workspace_media_dir(media_dir, workspace_id)

    def asset_path(asset_id: int) -> str | None:
        if asset_id > 2_147_483_647:
            return None
        asset = session.get(MediaAsset, asset_id)
        return asset.path if asset is not None and asset.workspace_id == workspace_id else None

    return MediaSource(root, asset_path, f"media/workspace-{workspace_id}/")


def relative_ref(root: Path, stored: str) -> str | None:
    """``stored`` relative to the media folder ``root`` (posix), or None when it lies outside."""
    try:
        return Path(stored).resolve().relative_to(root.resolve()).as_posix()
    except (OSError, RuntimeError, ValueError):
        return None


def client_media(
    session: Session, workspace_id: int, media_dir: Path, stored: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """A post's stored media as a client may see them: never the server's absolute path.

    Each ``path`` becomes ``asset:ID`` where the file is one of the workspace's uploads, else
    its path relative to the workspace's media folder (both are what ``locate`` takes back).
    A file outside that folder (a post file the operator scheduled from the command line)
    shows its name alone. The stored paths stay absolute: connectors need the real file.
    """
    root = workspace_media_dir(media_dir, workspace_id)
    paths = [str(m.get("path", "")) for m in stored]
    relative = [relative_ref(root, p) for p in paths]
    candidates = set(paths) | {str(root / r) for r in relative if r is not None}
    assets: dict[str, int] = {}
    if candidates:
        rows = session.execute(
            select(MediaAsset.id, MediaAsset.path).where(
                MediaAsset.workspace_id == workspace_id, MediaAsset.path.in_(sorted(candidates))
            )
        )
        for asset_id, asset_path in rows:
            assets[asset_path] = asset_id
            asset_rel = relative_ref(root, asset_path)
            if asset_rel is not None:
                assets.setdefault(asset_rel, asset_id)
    out = []
    for entry, path, rel in zip(stored, paths, relative, strict=True):
        asset_id = assets.get(path) or (assets.get(rel) if rel is not None else None)
        if asset_id is not None:
            ref = f"asset:{asset_id}"
        else:
            ref = rel if rel is not None else Path(path).name
        out.append({**entry, "path": ref})
    return out
