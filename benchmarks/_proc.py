"""What the benchmarks read from Linux's /proc: memory and CPU time of a process."""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os

_TICKS = os.sysconf("SC_CLK_TCK")


def status_bytes(key: str, pid: int | str = "self") -> int | None:
    """A memory field of /proc/PID/status (VmRSS, VmHWM) in bytes, or None when it cannot be read."""
    try:
        with open(f"/proc/{pid}/status", "rb") as fh:
            prefix = key.encode("ascii") + b":"
            for line in fh:
                if line.startswith(prefix):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def rss_kb(pid: int | str) -> int:
    """Resident memory of a process in kB (0 when it is gone)."""
    return (status_bytes("VmRSS", pid) or 0) // 1024


def cpu_seconds(pid: int | str) -> float:
    """User + system CPU time of a process so far (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read()
    except OSError:
        return 0.0
    fields = stat[stat.rindex(b")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime


def reset_peak() -> bool:
    """Start VmHWM again from the current RSS (Linux >= 4.0); False when it cannot be done."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def trim_heap() -> None:
    """Give freed heap memory back to the OS (glibc), so RSS shows what is held."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
