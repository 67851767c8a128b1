"""The cursor of a CommercetoolsMessagesSensor kept in an Airflow Variable, and the task that advances it.

What a cursor is and how it advances (compare-and-set) is the layer's
(:class:`~airflow_provider_commercetools.commercetools.messages.CursorStore`); here it is bound to
Airflow Variables and to the sensor's XCom value.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow.providers.common.compat.sdk import BaseOperator, Context, Variable

from airflow_provider_commercetools.commercetools.checks import short
from airflow_provider_commercetools.commercetools.errors import ConfigurationError
from airflow_provider_commercetools.commercetools.messages import CursorStore

VARIABLE_PREFIX = "commercetools_messages_cursor"


def cursor_variable_name(dag_id: str, task_id: str) -> str:
    """The default Variable that keeps the cursor of one sensor task."""
    return f"{VARIABLE_PREFIX}__{dag_id}__{task_id}"


def variables() -> CursorStore:
    """The cursors kept in Airflow Variables."""
    return CursorStore(lambda name: Variable.get(name, None), Variable.set)


def commit_cursor(name: str, previous: Any, new: Any) -> bool:
    """Store ``new`` in Variable ``name`` if it still holds ``previous`` (see :meth:`CursorStore.commit`)."""
    return variables().commit(name, previous, new)


class CommitMessagesCursorOperator(BaseOperator):
    """Advance the cursor of a :class:`CommercetoolsMessagesSensor` after its messages were processed.

    :param sensor_task_id: the sensor's task id (its XCom holds the next cursor).
    """

    template_fields: Sequence[str] = ("sensor_task_id",)
    ui_color = "#e4f0e8"

    def __init__(self, *, sensor_task_id: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sensor_task_id = sensor_task_id

    def execute(self, context: Context) -> Any:
        value = context["ti"].xcom_pull(task_ids=self.sensor_task_id)
        if not isinstance(value, dict) or "cursor" not in value:
            raise ConfigurationError(
                "sensor_task_id",
                f"task {self.sensor_task_id!r} returned no messages cursor (got {short(value)}).",
                "Point it at a CommercetoolsMessagesSensor of this DAG that ran in this run.",
            )
        name = value.get("cursor_variable")
        if not name:
            raise ConfigurationError(
                "sensor_task_id", "the sensor was given an explicit cursor: there is no Variable to advance.", ""
            )
        stored = commit_cursor(name, value["previous_cursor"], value["cursor"])
        self.log.info(
            "Cursor in Variable %r %s: last createdAt %s",
            name,
            "advanced" if stored else "already advanced",
            value["cursor"].get("last_created_at"),
        )
        return {"cursor_variable": name, "committed": stored}
