"""Any module of the provider can be imported first: no import cycle through Airflow's provider discovery."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

#: The modules that start Airflow's provider discovery while the layer is half imported (the hook,
#: which imports Airflow first, never did).
FIRST_IMPORTS = [
    "airflow_provider_commercetools.commercetools.errors",
    "airflow_provider_commercetools.connection_form",
]


@pytest.mark.parametrize("module", FIRST_IMPORTS)
def test_the_errors_subclass_airflow_exception_whichever_module_is_imported_first(module, tmp_path):
    code = (
        f"import {module}\n"
        "from airflow.providers.common.compat.sdk import AirflowException\n"
        "from airflow_provider_commercetools.commercetools.errors import CommercetoolsError\n"
        "import airflow_provider_commercetools.hooks.commercetools\n"
        "assert issubclass(CommercetoolsError, AirflowException), CommercetoolsError.__mro__\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "AIRFLOW_HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
