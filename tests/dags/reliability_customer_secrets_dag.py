"""Reliability suite: customer drafts with a password that fail (DuplicateField), their results in XCom and in files.

Run by tests/reliability/test_secrets.py through an executor (task log files are written); the test then
searches the XComs, the results and failures files and the task logs for the password.
"""

from __future__ import annotations

import datetime

from airflow.providers.common.compat.sdk import DAG

from airflow_provider_commercetools.operators.commercetools import CommercetoolsPublisherOperator

PASSWORD = "{{ params.password }}"
#: the first fails (its key exists: DuplicateField), the second is created
TO_XCOM = [
    {"key": "taken", "email": "second@example.com", "password": PASSWORD, "firstName": "Ada"},
    {"key": "new-customer", "email": "third@example.com", "password": PASSWORD},
]
#: the same two to the files: the first fails again, the second is a new customer (its own email: emails are unique)
TO_FILES = [{**TO_XCOM[0]}, {**TO_XCOM[1], "key": "new-customer-2", "email": "fourth@example.com"}]

with DAG(
    "reliability_customer_secrets_dag",
    schedule=None,
    start_date=datetime.datetime(2026, 1, 1),
    catchup=False,
    params={"password": "", "output_path": ""},
):
    to_xcom = CommercetoolsPublisherOperator(
        task_id="publish_to_xcom", entity="customers", items=TO_XCOM, on_error="skip"
    )
    to_files = CommercetoolsPublisherOperator(
        task_id="publish_to_files",
        entity="customers",
        items=TO_FILES,
        output_path="{{ params.output_path }}",
        on_error="continue",
    )
    to_xcom >> to_files
