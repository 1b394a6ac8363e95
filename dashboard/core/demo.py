"""The demo accounts: published with their passwords, so only ever for development data.

The seed creates them, the development login page lists them, and production refuses them (it never
seeds them and refuses a login with one of these passwords).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEMO_ACCOUNTS", "DEMO_PASSWORDS", "DemoAccount"]


@dataclass(frozen=True)
class DemoAccount:
    username: str
    name: str
    role: str

    @property
    def password(self) -> str:
        """Public on purpose (README, login page): ``<username>-pass``."""
        return f"{self.username}-pass"


DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount("demo-user", "Dana Demo", "user"),
    DemoAccount("demo-product", "Parker Product", "product"),
    DemoAccount("demo-finance", "Frankie Finance", "finance"),
    DemoAccount("demo-admin", "Alex Admin", "admin"),
)
#: Every published demo password.
DEMO_PASSWORDS: frozenset[str] = frozenset(a.password for a in DEMO_ACCOUNTS)
