"""Accounts, roles, login throttling and the audit log."""

from dashboard.auth.models import ROLES, AuthUser, PermissionDenied

__all__ = ["ROLES", "AuthUser", "PermissionDenied"]
