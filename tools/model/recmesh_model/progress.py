"""Progress of the long jobs (training, evaluation, export) on stderr.

On a terminal: a step bar with its rate and ETA (tqdm), and a line when each phase starts and ends.
Not on a terminal, or with CI=true (logs, `npm test`, the trainer service reading its subprocess): no
bars, only one line per phase when it ends ("phase: done in 12.3s"), so a log stays readable.
stdout is left alone: it carries the JSON summaries other tools parse.
"""
from __future__ import annotations

import contextlib
import os
import sys
import time
from typing import Iterable, Iterator, TextIO, TypeVar

T = TypeVar("T")


def interactive(stream: TextIO | None = None) -> bool:
    """Step bars and start lines only on a terminal, and never under CI."""
    stream = stream or sys.stderr
    if os.environ.get("CI", "").strip().lower() in ("1", "true", "yes"):
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def fmt_seconds(s: float) -> str:
    """12.3s, 4m05s, 1h02m."""
    if s < 60:
        return f"{s:.1f}s"
    m, sec = divmod(int(round(s)), 60)
    if m < 60:
        return f"{m}m{sec:02d}s"
    h, m = divmod(m, 60)
    return f"{h}h{m:02d}m"


def eta(done: int, total: int, elapsed: float, budget_left: float | None = None) -> float | None:
    """Seconds left at the mean pace so far, capped by what is left of a wall-clock budget."""
    if done <= 0 or total <= done:
        return 0.0 if total <= done else None
    left = elapsed / done * (total - done)
    return min(left, max(budget_left, 0.0)) if budget_left is not None else left


def say(message: str, stream: TextIO | None = None) -> None:
    print(message, file=stream or sys.stderr, flush=True)


@contextlib.contextmanager
def phase(name: str, stream: TextIO | None = None, clock=time.monotonic) -> Iterator[None]:
    """One line when the phase ends (with its wall time), also when it fails; on a terminal one when it starts too."""
    stream = stream or sys.stderr
    if interactive(stream):
        say(f"{name} ...", stream)
    t0 = clock()
    try:
        yield
    except BaseException:
        say(f"{name}: failed after {fmt_seconds(clock() - t0)}", stream)
        raise
    say(f"{name}: done in {fmt_seconds(clock() - t0)}", stream)


def steps(items: Iterable[T], desc: str, total: int | None = None, disable: bool = False) -> Iterable[T]:
    """A step bar with rate and ETA on a terminal; the items unchanged otherwise."""
    if disable or not interactive():
        return items
    from tqdm import tqdm
    return tqdm(items, desc=desc, total=total, file=sys.stderr, mininterval=2, leave=False, dynamic_ncols=True)
