"""The signed-in user and the roles Spendlens knows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import bson

from dashboard.core.periods import check_zone

__all__ = ["ROLES", "WEEKDAY_NAMES", "AuthUser", "PermissionDenied", "user_scope"]

#: user: own spending · product: usage and system performance · finance: reports over all users ·
#: admin: all of these plus user management.
ROLES = ("user", "product", "finance", "admin")


def user_scope(user_id: object) -> str:
    """The cache scope of one user's own data, ``user:<id>``: a write to their data clears it."""
    return f"user:{user_id}"


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
    #: What was wrong with the stored profile and what is used instead, for a notice on every page.
    problems: tuple[str, ...] = ()

    @property
    def scope(self) -> str:
        """The cache scope of this user's own data."""
        return user_scope(self.id)

    def has_role(self, *roles: str) -> bool:
        """Whether the user holds any of ``roles`` (admin holds every role)."""
        return "admin" in self.roles or any(r in self.roles for r in roles)

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> AuthUser:
        """The user of a ``users`` document. A stored time zone or week start Spendlens cannot use
        is refused here, once: the user gets UTC or Monday and :attr:`problems` says so."""
        problems = []
        timezone = doc.get("timezone") or "UTC"
        try:
            check_zone(timezone)
        except ValueError:
            problems.append(
                f"Your profile's time zone {timezone!r} is not a time zone Spendlens knows; days "
                "are shown in UTC. Choose yours on the Account page."
            )
            timezone = "UTC"
        week_start = doc.get("weekStart", 1)
        if week_start is None or isinstance(week_start, bool) or week_start not in range(1, 8):
            problems.append(
                f"Your profile's first day of the week ({week_start!r}) is not 1 to 7; weeks "
                "start on Monday. Choose yours on the Account page."
            )
            week_start = 1
        return cls(
            id=doc["_id"],
            username=str(doc["username"]),
            name=str(doc.get("name") or doc["username"]),
            email=doc.get("email"),
            roles=tuple(r for r in doc.get("roles") or () if r in ROLES),
            timezone=timezone,
            currency=str(doc.get("currency") or "USD"),
            must_change_password=bool(doc.get("mustChangePassword", False)),
            week_start=int(week_start),
            problems=tuple(problems),
        )

    @property
    def week_start_name(self) -> str:
        """The week start as ``$dateTrunc``'s ``startOfWeek`` wants it (``"monday"``)."""
        return WEEKDAY_NAMES[self.week_start - 1]


WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
