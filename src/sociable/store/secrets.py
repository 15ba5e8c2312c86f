"""Credentials encrypted at rest with Fernet.

The key comes from ``SOCIABLE_SECRET_KEY`` or from a key file (mode 0600) that
``sociable init`` creates. Columns of type :class:`EncryptedJSON` hold only ciphertext.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import LargeBinary, TypeDecorator
from sqlalchemy.engine import Dialect

from sociable.errors import ConfigError


class SecretBox:
    """Encrypts and decrypts small JSON values with one Fernet key."""

    def __init__(self, key: bytes | str) -> None:
        try:
            self._fernet = Fernet(key)
        except (ValueError, TypeError) as exc:
            raise ConfigError(
                "the secret key is not a valid Fernet key (44 url-safe base64 characters)"
            ) from exc

    def seal(self, value: Any) -> bytes:
        return self._fernet.encrypt(json.dumps(value, separators=(",", ":")).encode())

    def open(self, token: bytes) -> Any:
        try:
            return json.loads(self._fernet.decrypt(token))
        except InvalidToken as exc:
            raise ConfigError(
                "stored credentials cannot be decrypted: the secret key changed or is wrong"
            ) from exc


def generate_key() -> bytes:
    return Fernet.generate_key()


def write_key_file(path: Path) -> bool:
    """Create a key file readable only by its owner; False if one is already there."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "wb") as fh:
        fh.write(generate_key() + b"\n")
    return True


def load_key(secret_key: str | None, key_path: Path) -> bytes:
    """The key from the environment/config, else from the key file."""
    if secret_key:
        return secret_key.encode()
    try:
        return key_path.read_bytes().strip()
    except FileNotFoundError:
        raise ConfigError(
            f"no secret key: set SOCIABLE_SECRET_KEY or run `sociable init` to create {key_path}"
        ) from None


class EncryptedJSON(TypeDecorator[Any]):
    """A JSON value stored as Fernet ciphertext.

    The key is the one :func:`use_box` made active (``open_database`` does it); without
    one, reading or writing a secret is an error, never plaintext.
    """

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> bytes | None:
        if value is None:
            return None
        return _box().seal(value)

    def process_result_value(self, value: bytes | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        return _box().open(bytes(value))


_ACTIVE: list[SecretBox] = []


def use_box(box: SecretBox) -> None:
    """Make ``box`` the one that encrypted columns use in this process."""
    _ACTIVE[:] = [box]


def _box() -> SecretBox:
    if not _ACTIVE:
        raise ConfigError("no secret key loaded; cannot read or write credentials")
    return _ACTIVE[0]
