"""``python -m airflow_provider_commercetools.testing serve``: see :mod:`.serve`."""

from __future__ import annotations

import sys

from airflow_provider_commercetools.testing.serve import main

if __name__ == "__main__":
    sys.exit(main())
