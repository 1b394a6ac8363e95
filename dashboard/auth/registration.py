"""Abuse control for self-registration: a per-client rate limit and a question anyone can read.

streamlit-authenticator's picture captcha was hard to read (misread even zoomed) and useless to a
screen reader. Instead:

- **Rate limit**: every registration submit is counted per client (its address, an IPv6 address
  by its /64 network, exactly as :mod:`dashboard.auth.throttle` counts login attempts, in the same
  Redis or in-process counters under their own key prefix) **before** anything is checked, and
  stays counted whether the account was created or not. :data:`MAX_SUBMITS` per
  :data:`WINDOW_MINUTES` per client; a client over it is told how long to wait.
- **Question**: a sum of two one-digit numbers in plain text ("What is 7 plus 4?"), a new one
  after every submit, its answer kept in the server-side session only. It stops blind form posting;
  the rate limit bounds what any client can do, whoever answers.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from dashboard.auth.throttle import Attempt, LoginThrottle, make_throttle

__all__ = [
    "MAX_SUBMITS",
    "WINDOW_MINUTES",
    "Question",
    "count_submit",
    "make_registration_throttle",
    "new_question",
]

#: Registration submits one client may make per window (typos included), and the window.
MAX_SUBMITS = 10
WINDOW_MINUTES = 60
#: The throttle's single "username": registration counts per client only.
_KEY = "registration"


@dataclass(frozen=True)
class Question:
    """A question and its answer (the answer stays on the server)."""

    first: int
    second: int

    @property
    def text(self) -> str:
        """``What is 7 plus 4?``"""
        return f"What is {self.first} plus {self.second}?"

    def answered_by(self, entered: str) -> bool:
        """Whether ``entered`` is the sum in digits (surrounding spaces ignored)."""
        value = entered.strip() if isinstance(entered, str) else ""
        return value == str(self.first + self.second)


def new_question() -> Question:
    """A fresh question: two numbers from 1 to 9, chosen with :mod:`secrets`."""
    return Question(secrets.randbelow(9) + 1, secrets.randbelow(9) + 1)


def make_registration_throttle(
    redis_url: str | None, *, max_submits: int = MAX_SUBMITS, window_minutes: int = WINDOW_MINUTES
) -> LoginThrottle:
    """The registration counters: the login throttle's machinery (Redis shared by every replica,
    else in-process) under the key prefix ``spendlens:register:``, per client only."""
    return make_throttle(
        redis_url,
        max_attempts=max_submits,
        window_minutes=window_minutes,
        client_max_attempts=max_submits,
        username_soft_limit=2**31,  # no delay across clients: one client's limit is the rule
        prefix="spendlens:register:",
    )


def count_submit(throttle: LoginThrottle, client: str) -> Attempt:
    """Count one registration submit of ``client`` before anything is checked; refused
    (``.wait`` set) when the client is over its limit."""
    return throttle.attempt(_KEY, client)
