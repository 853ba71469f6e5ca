"""How machine-readable reports name a file: relative to the working directory with forward slashes
when it lies below it (as code-scanning tools expect), else an absolute file URI; either percent-encoded
where a URI cannot hold a character as it is."""

from __future__ import annotations

import os
from pathlib import Path

from ..inputs.documents import STDIN_NAME
from .escaping import uri_path


def artifact_uri(file: str) -> str:
    if file == STDIN_NAME:
        return "stdin"
    absolute = Path(file).resolve()
    try:
        relative = os.path.relpath(absolute, Path.cwd().resolve())
    except ValueError:  # on another drive (Windows)
        return absolute.as_uri()
    return absolute.as_uri() if relative.startswith("..") else uri_path(Path(relative).as_posix())
