"""The signed-in user and the roles Spendlens knows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import bson

__all__ = ["ROLES", "WEEKDAY_NAMES", "AuthUser", "PermissionDenied"]

#: user: own spending · product: usage and system performance · finance: reports over all users ·
#: admin: all of these plus user management.
ROLES = ("user", "product", "finance", "admin")


class PermissionDenied(PermissionError):
    """The signed-in user's roles do not allow this operation."""


@dataclass(frozen=True)
class AuthUser:
    """A user as the login flow established them, re-read from ``users`` on every run.

    Only the login flow creates one (from the ``users`` collection), so query functions that take an
    ``AuthUser`` can trust its ``id``: no widget, URL parameter or upload can change it.
    """

    id: bson.ObjectId
    username: str
    name: str
    email: str | None
    roles: tuple[str, ...]
    timezone: str = "UTC"
    currency: str = "USD"
    must_change_password: bool = False
    #: First day of the week for weekly charts: 1 = Monday … 7 = Sunday.
    week_start: int = 1

    @property
    def scope(self) -> str:
        """The cache scope of this user's own data."""
        return f"user:{self.id}"

    def has_role(self, *roles: str) -> bool:
        """Whether the user holds any of ``roles`` (admin holds every role)."""
        return "admin" in self.roles or any(r in self.roles for r in roles)

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> AuthUser:
        return cls(
            id=doc["_id"],
            username=str(doc["username"]),
            name=str(doc.get("name") or doc["username"]),
            email=doc.get("email"),
            roles=tuple(r for r in doc.get("roles") or () if r in ROLES),
            timezone=str(doc.get("timezone") or "UTC"),
            currency=str(doc.get("currency") or "USD"),
            must_change_password=bool(doc.get("mustChangePassword", False)),
            week_start=_week_start(doc.get("weekStart")),
        )

    @property
    def week_start_name(self) -> str:
        """The week start as ``$dateTrunc``'s ``startOfWeek`` wants it (``"monday"``)."""
        return WEEKDAY_NAMES[self.week_start - 1]


WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _week_start(value: Any) -> int:
    return (
        value if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 7 else 1
    )
