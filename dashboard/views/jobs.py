"""Background jobs as pages see them: one of the signed-in user's jobs, by id."""

from __future__ import annotations

from typing import Any

import bson

from dashboard.core.identity import AuthUser
from dashboard.data import jobs
from dashboard.data.runner import Runner

__all__ = ["job_for"]


def job_for(runner: Runner, user: AuthUser, job_id: str) -> dict[str, Any] | None:
    """One of the user's jobs; None for another user's id or a malformed one (never raises: the
    id comes from the browser session)."""
    if not bson.ObjectId.is_valid(job_id):
        return None
    return jobs.get(runner.store, bson.ObjectId(job_id), user_id=user.id)
