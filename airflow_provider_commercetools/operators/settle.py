"""The settle rule in tasks: wait until a window's end plus ``settle`` is past on commercetools' clock.

Shared by CommercetoolsSubscriberOperator and CommercetoolsDeletionsOperator (see
:mod:`airflow_provider_commercetools.commercetools.reading.settle`): a short wait sleeps, a long one
defers to Airflow's ``DateTimeTrigger`` (``deferrable=True``) or fails saying when to run; ``longest_sleep``
(default 300 s) is the line between the two. Never reads early: a resumed task checks the server's clock again.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

from airflow.providers.common.compat.sdk import BaseOperator, Context, conf

from airflow_provider_commercetools.commercetools.checks import is_template
from airflow_provider_commercetools.commercetools.reading import to_utc_datetime
from airflow_provider_commercetools.commercetools.reading.settle import (
    DEFAULT_LONGEST_SLEEP,
    DEFAULT_SETTLE,
    SettleWait,
    check_longest_sleep,
    check_settle,
)


def _datetime_trigger(moment: dt.datetime) -> Any:
    """Airflow's standard ``DateTimeTrigger`` (the standard provider on Airflow 3, the core on 2.11)."""
    try:
        from airflow.providers.standard.triggers.temporal import DateTimeTrigger
    except ImportError:  # Airflow 2.11 without the standard provider's triggers
        from airflow.triggers.temporal import DateTimeTrigger  # type: ignore[no-redef]
    return DateTimeTrigger(moment=moment)


class SettleMixin(BaseOperator):
    """``settle``, ``deferrable`` and ``longest_sleep`` of a windowed read, and the wait before it."""

    def __init__(
        self,
        *,
        settle: Any = DEFAULT_SETTLE,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        longest_sleep: float = DEFAULT_LONGEST_SLEEP,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not is_template(settle):
            check_settle(settle)  # a template is checked once rendered, in execute
        self.settle = settle
        self.deferrable = bool(deferrable)
        self.longest_sleep = check_longest_sleep(longest_sleep)

    def wait_for_window(self, until: Any, settle: dt.timedelta, server_time: Callable[[], dt.datetime]) -> None:
        """Return once the server's clock is past ``until + settle`` (sleeping up to ``longest_sleep``).

        A longer wait defers (``deferrable=True``; the task resumes in :meth:`execute_settled`) or raises
        :class:`~airflow_provider_commercetools.commercetools.reading.settle.WindowNotSettledError`.
        """
        if until is None:
            return
        wait = SettleWait(to_utc_datetime("modified_until", until), settle, server_time())
        if wait.seconds <= 0:
            return
        if wait.seconds <= self.longest_sleep:
            self.log.info("%s: waiting", wait.describe())
            time.sleep(wait.seconds)  # measured from the server's Date on the monotonic clock: past by now
            return
        if self.deferrable:
            self.log.info("%s: deferring to the triggerer", wait.describe())
            moment = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=wait.seconds + 1)
            self.defer(trigger=_datetime_trigger(moment), method_name="execute_settled")
        raise wait.error(self.longest_sleep)

    def execute_settled(self, context: Context, event: Any = None) -> Any:
        """Resumed from the trigger: check the server's clock again, then read."""
        return self.execute(context)
