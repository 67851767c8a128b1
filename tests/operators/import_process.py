"""A task process running CommercetoolsImportOperator, to be killed by a test (a lost worker).

``python -m tests.operators.import_process '<JSON>'`` with ``{"items_file", "output_path", "container"}``.
It runs ``execute`` with an empty context (no task state store: the journal is the file beside
``output_path``, the fallback below Airflow 3.3) and prints its outcome as the last line, as JSON.
The connection comes from the environment (``AIRFLOW_CONN_COMMERCETOOLS_DEFAULT``).
"""

from __future__ import annotations

import json
import sys
from typing import Any

from airflow_provider_commercetools.operators.imports import CommercetoolsImportOperator


def main(arguments: dict[str, Any]) -> int:
    operator = CommercetoolsImportOperator(
        task_id="import_categories",
        resource_type="category",
        items=arguments["items_file"],
        container_key=arguments["container"],
        output_path=arguments["output_path"],
        poll_interval=0.05,
        max_workers=4,
    )
    print("READY", flush=True)
    try:
        result = operator.execute({})
    except Exception as error:  # the outcome is what the test reads
        print(json.dumps({"error": type(error).__name__, "message": str(error)}), flush=True)
        return 1
    print(json.dumps({"result": result}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(json.loads(sys.argv[1])))
