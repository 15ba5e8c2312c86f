"""One problem with a post for one network: what lint and the media checks both report."""

from __future__ import annotations

from dataclasses import dataclass

from sociable.rules import Severity


@dataclass(frozen=True, slots=True)
class PostFinding:
    code: str
    network: str
    severity: Severity
    message: str

    def as_dict(self) -> dict[str, str]:
        return {
            "code": self.code,
            "network": self.network,
            "severity": self.severity.value,
            "message": self.message,
        }
