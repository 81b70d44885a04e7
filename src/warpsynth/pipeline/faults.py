"""TEST-ONLY fault injection: make a worker die like a segfault inside Warp would.

``WARPSYNTH_TEST_SEGFAULT`` is a comma-separated list: ``7`` kills the worker every time
it starts sample 7, ``7:once`` only on the first attempt, ``7:verify`` every time a verify
batch holding sample 7 starts, ``setup`` in every task's set-up (a crash no
sample can be blamed for). Never set in real use. The hook is attached to the task's
in-flight record (``journal.Inflight``), so it fires exactly where a real crash would be
recorded, and the hot loop holds no test code.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Sequence

TEST_SEGFAULT_ENV = "WARPSYNTH_TEST_SEGFAULT"


class SegfaultHook:
    """``hook(stage, start, end, samples)``: SIGSEGV this process when the spec names that moment."""

    def __init__(self, spec: str, flag_prefix: Path):
        self.setup = False
        self.samples: dict[int, str] = {}
        for part in filter(None, (p.strip() for p in spec.split(","))):
            if part == "setup":
                self.setup = True
                continue
            index, _, mode = part.partition(":")
            self.samples[int(index)] = mode or "always"
        self.flag_prefix = flag_prefix

    @classmethod
    def from_env(cls, flag_prefix: Path) -> "SegfaultHook | None":
        """The hook ``TEST_SEGFAULT_ENV`` asks for (None when unset); ``once`` flags are files
        named ``{flag_prefix}.test-crashed-{index}``."""
        spec = os.environ.get(TEST_SEGFAULT_ENV, "")
        return cls(spec, flag_prefix) if spec else None

    def __call__(self, stage: str, start: int, end: int, samples: Sequence[int] = ()) -> None:
        if stage == "setup" and self.setup:
            self._die()
        for index, mode in self.samples.items():
            if stage == "verify" and mode == "verify" and index in samples:
                self._die()
            if stage == "sample" and start == index and mode in ("always", "once"):
                if mode == "once":
                    flag = Path(f"{self.flag_prefix}.test-crashed-{index}")
                    if flag.exists():
                        continue
                    flag.touch()
                self._die()

    @staticmethod
    def _die() -> None:
        os.kill(os.getpid(), signal.SIGSEGV)
