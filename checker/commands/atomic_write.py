"""Replace a file's bytes all at once: write a temporary file beside it, flush it to disk, give it the
file's mode (and owner, where allowed), then rename it over the file; a failed write leaves the original whole.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile


def replace_file(name: str, data: bytes) -> None:
    """Write data as the new content of the file called name (a symbolic link's target is replaced, the link
    stays). Raises OSError with the original untouched when any step fails."""
    target = os.path.realpath(name)
    status = os.stat(target)
    directory = os.path.dirname(target) or "."
    handle, temporary = tempfile.mkstemp(prefix=".kubecheck-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, stat.S_IMODE(status.st_mode))
        if hasattr(os, "chown") and (status.st_uid, status.st_gid) != _owner(temporary):
            with contextlib.suppress(OSError):  # only a privileged user may give a file away
                os.chown(temporary, status.st_uid, status.st_gid)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _sync_directory(directory)


def _owner(name: str) -> tuple[int, int]:
    status = os.stat(name)
    return status.st_uid, status.st_gid


def _sync_directory(directory: str) -> None:
    """Flush the rename itself to disk where the platform allows opening a directory."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
