"""A task's restart policy applied to its real exits, as client/allocrunner/taskrunner/restarts/restarts.go does."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Any

from .gotypes import format_duration

Json = dict[str, Any]

# restarts.go: the reasons the tracker gives (TaskEvent.RestartReason).
REASON_NO_RESTARTS = "Policy allows no restarts"
REASON_WITHIN_POLICY = "Restart within policy"
REASON_DELAY = "Exceeded allowed attempts, applying a delay"
REASON_SUCCESS = "Restart unnecessary as task terminated successfully"
JITTER = 0.25  # restarts.go jitter: up to a quarter of the delay is added


@dataclass(frozen=True)
class Decision:
    """What GetState answers after an exit: restart after delay_ns, or not (failed: the task fails)."""

    restart: bool
    delay_ns: int
    reason: str
    failed: bool

    def event(self) -> tuple[str, str] | None:
        """The task event this decision emits (Type, DisplayMessage), as structs.go PopulateEventDisplayMessage;
        None for a successful end that needs no restart (task_runner.go shouldRestart: TaskTerminated)."""
        if not (self.restart or self.failed):
            return None
        if self.restart:
            wait = f"Task restarting in {format_duration(self.delay_ns)}"
            return "Restarting", wait if self.reason == REASON_WITHIN_POLICY else f"{self.reason} - {wait}"
        return "Not Restarting", self.reason or "Task exceeded restart policy"


@dataclass
class RestartTracker:
    """restarts.go RestartTracker for one task: counts attempts within the policy's interval."""

    policy: Json
    job_type: str
    clock: Any = time.monotonic
    rand: random.Random = field(default_factory=random.Random)
    count: int = 0
    window_start: float = field(default=0.0)

    def __post_init__(self) -> None:
        self.window_start = self.clock()

    @property
    def on_success(self) -> bool:
        """NewRestartTracker: batch tasks are not restarted after a successful exit; service tasks are."""
        return self.job_type not in ("batch", "sysbatch")

    def after_exit(self, exit_code: int) -> Decision:
        """GetState after SetExitResult (a real exit: failure is set, whatever the code)."""
        policy = self.policy
        attempts = int(policy.get("Attempts") or 0)
        successful = exit_code == 0
        if attempts == 0:
            if not self.on_success and successful:
                return Decision(False, 0, REASON_NO_RESTARTS, failed=False)
            return Decision(False, 0, REASON_NO_RESTARTS, failed=True)
        interval = int(policy.get("Interval") or 0)
        now = self.clock()
        if now > self.window_start + interval / 1e9:  # a new interval: the count starts again
            self.count, self.window_start = 0, now
        self.count += 1
        if successful and not self.on_success:
            return Decision(False, 0, REASON_SUCCESS, failed=False)
        if self.count > attempts:
            if policy.get("Mode") == "fail":
                reason = (f'Exceeded allowed attempts {attempts} in interval {format_duration(interval)} '
                          f'and mode is "fail"')
                return Decision(False, 0, reason, failed=True)
            left = int((self.window_start + interval / 1e9 - now) * 1e9)
            return Decision(True, max(left, 0), REASON_DELAY, failed=False)
        delay = int(policy.get("Delay") or 0) or 1
        return Decision(True, delay + int(self.rand.randrange(delay) * JITTER), REASON_WITHIN_POLICY, failed=False)
