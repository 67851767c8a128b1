"""A task process running CommercetoolsPublisherOperator, to be killed by a test.

``python -m tests.operators.publisher_process '<JSON>'`` with ``{"items_file", "output_path",
"max_workers", "signals"}``. ``signals`` says what a SIGTERM does, as in Airflow's task runners:

- ``"airflow3"``: the handler of Airflow 3's task runner (``_on_term``): ``task.on_kill()``, and the
  task goes on until ``execute`` returns or raises;
- ``"airflow2"``: the handler of Airflow 2.11's ``TaskInstance``: ``task.on_kill()``, then
  ``AirflowTaskTerminated`` is raised in the main thread, wherever it is;
- ``"none"``: no handler (the test sends SIGKILL, as Airflow does after a grace period).

The last line printed is the outcome as JSON: ``{"result": ...}`` or ``{"error": type, "message": ...}``.
The connection comes from the environment (``AIRFLOW_CONN_COMMERCETOOLS_DEFAULT``).
"""

from __future__ import annotations

import faulthandler
import json
import signal
import sys
from typing import Any

from airflow_provider_commercetools.operators.commercetools import CommercetoolsPublisherOperator


class AirflowTaskTerminated(Exception):
    """What Airflow 2.11's SIGTERM handler raises (airflow.exceptions.AirflowTaskTerminated)."""


def main(arguments: dict[str, Any]) -> int:
    operator = CommercetoolsPublisherOperator(
        task_id="publish",
        entity="products",
        items=arguments["items_file"],
        output_path=arguments.get("output_path"),
        max_workers=arguments.get("max_workers", 4),
        on_error="continue",
    )

    def on_term(signum: int, frame: Any) -> None:
        operator.on_kill()
        if arguments["signals"] == "airflow2":
            raise AirflowTaskTerminated("Task received SIGTERM signal")

    if arguments["signals"] != "none":
        signal.signal(signal.SIGTERM, on_term)
    print("READY", flush=True)
    try:
        result = operator.execute({})
    except Exception as error:  # the outcome is what the test reads
        print(json.dumps({"error": type(error).__name__, "message": str(error)}), flush=True)
        return 1
    print(json.dumps({"result": result}), flush=True)
    return 0


if __name__ == "__main__":
    faulthandler.register(signal.SIGUSR1)  # a test that gives up waiting dumps the threads first
    sys.exit(main(json.loads(sys.argv[1])))
