"""The time limit of one message's analysis: a SIGALRM timer (main thread on Unix).

``deadline(seconds)`` interrupts the work inside it with ``Timeout`` (a LimitExceeded)
when it takes longer. Elsewhere (another thread, a platform without setitimer) the limit is
not enforced by interruption. In a run over many messages ``alarm_scope()`` installs the
signal handler once, and each message's deadline then only sets and clears the timer:
two system calls, no handler swapping.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

from bouncewise.errors import LimitExceeded

_HAS_TIMER = hasattr(signal, "setitimer")


class Timeout(LimitExceeded):
    pass


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


# The SIGALRM handler of a run over many messages, and what it needs: the deadline being
# timed (None between messages), the handler it replaced, and whether it is installed.
_ALARM: dict[str, Any] = {"active": None, "previous": None, "installed": False}


def _on_alarm(signum: int, frame: Any) -> None:
    active = _ALARM["active"]
    if active is not None:
        active._fire(signum, frame)
    previous = _ALARM["previous"]
    if callable(previous):  # not ours: pass it on
        previous(signum, frame)


class deadline:
    """Interrupt the analysis of one message after ``seconds`` (see the module's doc)."""

    __slots__ = ("seconds", "armed", "shared", "previous")

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.armed = False
        self.shared = False
        self.previous: Any = None

    def __enter__(self) -> deadline:
        if self.seconds and self.seconds > 0 and _HAS_TIMER and _main_thread():
            if _ALARM["installed"]:  # (an open scope's handler stays in place until it closes)
                _ALARM["active"] = self
                self.shared = True
            else:
                self.previous = signal.signal(signal.SIGALRM, self._fire)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)
            self.armed = True
        return self

    def _fire(self, signum: int, frame: Any) -> None:
        raise Timeout(f"analysis took longer than the limit of {self.seconds:g} s")

    def __exit__(self, *exc: object) -> None:
        if self.armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            if self.shared:
                _ALARM["active"] = None
            else:
                signal.signal(signal.SIGALRM, self.previous or signal.SIG_DFL)


class alarm_scope:
    """Install the SIGALRM handler once for a run over many messages (main thread on Unix;
    elsewhere, or when a scope is already open, it does nothing) and restore the previous
    one after."""

    def __init__(self) -> None:
        self.installed = False

    def __enter__(self) -> alarm_scope:
        if _HAS_TIMER and not _ALARM["installed"] and _main_thread():
            previous = signal.getsignal(signal.SIGALRM)
            if previous is not _on_alarm:
                _ALARM["previous"] = previous
                _ALARM["active"] = None
                signal.signal(signal.SIGALRM, _on_alarm)
                _ALARM["installed"] = True
                self.installed = True
        return self

    def __exit__(self, *exc: object) -> None:
        if self.installed:
            previous = _ALARM["previous"]
            _ALARM["previous"] = _ALARM["active"] = None
            _ALARM["installed"] = False
            signal.signal(signal.SIGALRM, previous if previous is not None else signal.SIG_DFL)
