"""Plain-language messages for faults of the machine rather than of the data: a full disk, a
read-only or unwritable data directory, an invalid configuration.

The shell, the ``/health`` route and the command line all say the same thing for the same fault:
what failed and what the operator should do. The messages never carry a path, pid or host (the
shell shows them to anonymous visitors); callers log the exception itself for the operator.

>>> import errno
>>> storage_fault(OSError(errno.ENOSPC, "No space left on device")).hint
'Free disk space on the server (the volume holding SPENDLENS_DATA_DIR), then try again.'
"""

from __future__ import annotations

import errno
import re
from dataclasses import dataclass

__all__ = ["Fault", "settings_fault", "storage_fault"]

_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_READ_ONLY = {errno.EROFS}
_DENIED = {errno.EACCES, errno.EPERM, errno.ENOTDIR, errno.EISDIR}


@dataclass(frozen=True)
class Fault:
    """What failed (``message``) and what to do about it (``hint``), safe to show anyone."""

    title: str
    message: str
    hint: str


def storage_fault(
    exc: OSError, *, doing: str = "save its data", outcome: str = "This change was not saved."
) -> Fault:
    """The message for an :class:`OSError` raised while Spendlens wrote or opened its data.

    ``doing`` completes "Spendlens could not …" (``"save its data"``, ``"open its data
    directory"``), ``outcome`` says what became of the attempt. Only the error's kind and its standard text are shown, never its file name.
    """
    reason = exc.strerror or errno.errorcode.get(exc.errno or 0, "input/output error")
    if exc.errno in _FULL:
        hint = (
            "Free disk space on the server (the volume holding SPENDLENS_DATA_DIR), then try again."
        )
        title = "Disk full"
    elif exc.errno in _READ_ONLY:
        hint = (
            "The data directory is on a read-only file system: mount it read-write or point "
            "SPENDLENS_DATA_DIR at a writable directory, then try again."
        )
        title = "Data directory is read-only"
    elif exc.errno in _DENIED:
        hint = (
            "Spendlens may not write to its data directory: fix the permissions of "
            "SPENDLENS_DATA_DIR (it must be a directory the app's user can write), then try again."
        )
        title = "Data directory not writable"
    else:
        hint = (
            "Check the server's disk and the data directory (SPENDLENS_DATA_DIR), then try again."
        )
        title = "Storage error"
    message = f"Spendlens could not {doing}: {reason}." + (f" {outcome}" if outcome else "")
    return Fault(title=title, message=message, hint=hint)


_VALUE = re.compile(r"^(\s*[A-Z][A-Z0-9_]+)=.*? is not valid:", re.MULTILINE)
_URI = re.compile(r"\b[a-z][a-z0-9+.-]*://\S*", re.IGNORECASE)
_PATH = re.compile(r"(?<![\w:/])/[\w.\-/]+")


def settings_fault(text: str) -> Fault:
    r"""The message for an invalid configuration: each problem with the variable and what it
    accepts, but not its value (a value can be a path or a host); the full text belongs in the log.

    >>> settings_fault("Invalid configuration:\n  SPENDLENS_ENV='/srv/x' is not valid: "
    ...                "expected development, production").message
    'Invalid configuration:\n  SPENDLENS_ENV is not valid: expected development, production'
    """
    shown = _PATH.sub("<path>", _URI.sub("<uri>", _VALUE.sub(r"\1 is not valid:", text)))
    return Fault(
        title="Configuration error",
        message=shown,
        hint="Fix the variables named above (the README's configuration table says what each one "
        "accepts) and restart; the server log has the values that were refused.",
    )
