"""A real DAG run whose import task fails its first try after sending (the operations still processing at
its timeout), then is retried by Airflow: the retry reconnects to the operations instead of sending again.

On Airflow 3.3+ the journal is the task instance's ``task_state_store`` (what ``ResumableJobMixin`` uses);
below, the file beside ``output_path``.
"""

from __future__ import annotations

import time

from tests.airflow_runner import xcom_result

PK = "test-project"


def test_the_retry_of_an_import_task_sends_nothing_again(commercetools_import_api, run_dag, tmp_path):
    imports = commercetools_import_api
    ct = imports.fake
    imports.processing_delay = 3600.0  # the first try gives up waiting after 1 s
    container = "import_retry_dag-import_categories-category"
    posts: list[float] = []
    released: list[str] = []

    def release(method: str, path: str) -> None:
        """Once the first try has sent everything and given up waiting (1 s), let the operations be processed."""
        if method == "POST" and path.endswith(f"/categories/import-containers/{container}"):
            posts.append(time.time())
        elif len(posts) == 5 and not released and "import-operations" in path and time.time() - posts[-1] > 1.5:
            imports.processing_delay = 0.0
            released.append(path)

    ct.on_request(release)

    import airflow
    from packaging.version import Version

    task_state_store = Version(airflow.__version__) >= Version("3.3")  # else: the file beside output_path
    run_conf = {"output": str(tmp_path / "results.jsonl"), "journal_file": not task_state_store}
    dag_run = run_dag("import_retry_dag", run_conf=run_conf)

    assert dag_run.state == "success" and released  # the first try failed waiting; the retry succeeded
    summary = xcom_result(dag_run, "import_categories")
    assert (summary["total"], summary["succeeded"]) == (100, 100)
    assert ct.count_requests("POST", f"/{PK}/categories/import-containers/{container}") == 5  # never sent again
    assert len(imports.operations(container)) == 100
    assert (tmp_path / "results.jsonl").exists() is not task_state_store
