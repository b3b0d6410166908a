"""Which scanner core runs: the compiled one (`_scan`, built by setup.py) or pure Python.

The native core is used whenever it imports; `TB_MEDIA_PANEL_PURE_PYTHON=1` forces the pure-Python
one. Both index the same (tests/test_scanner_native.py); the choice is logged once, at the first
scan, so that a slow index can be told from a missing compiler.
"""

from __future__ import annotations

import logging
import os
from types import ModuleType

logger = logging.getLogger(__name__)

PURE_PYTHON_ENV = "TB_MEDIA_PANEL_PURE_PYTHON"


def _load() -> tuple[ModuleType | None, str]:
    if os.environ.get(PURE_PYTHON_ENV, "") not in ("", "0"):
        return None, f"{PURE_PYTHON_ENV} is set"
    try:
        from tb_media_panel.store import _scan  # type: ignore[attr-defined]
    except ImportError as exc:
        return None, f"the native core is not built ({exc})"
    return _scan, ""


CORE, WHY_NOT = _load()
_reported = False


def core() -> ModuleType | None:
    """The native core, or None for pure Python; says which in the log the first time."""
    global _reported
    if not _reported:
        _reported = True
        if CORE is not None:
            crc = CORE.use_crc("table")
            CORE.use_crc(crc)
            logger.info("media_panel: native scanner core in use (CRC32C: %s)", crc)
        elif WHY_NOT.startswith(PURE_PYTHON_ENV):
            logger.info("media_panel: pure-Python scanner in use (%s)", WHY_NOT)
        else:
            logger.warning(
                "media_panel: pure-Python scanner in use, several times slower on scalar-heavy "
                "logdirs: %s; reinstall with a C compiler to build it",
                WHY_NOT,
            )
    return CORE
