"""Sphinx configuration of the documentation site: MyST Markdown pages, Furo theme, autodoc of the package.

Built by ``bash scripts/docs.sh`` with ``-n -W --keep-going``: every unresolved reference is an error.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's package wins over an installed copy

from airflow_provider_commercetools import __version__  # noqa: E402

project = "airflow-provider-commercetools"
author = "airflow-provider-commercetools developers"
copyright = "airflow-provider-commercetools developers"
release = version = __version__

extensions = ["myst_parser", "sphinx.ext.autodoc"]
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build"]
root_doc = "index"

# Links to headings ([text](page.md#a-heading)) are resolved and checked like links to pages.
myst_heading_anchors = 4
myst_enable_extensions = ["colon_fence", "deflist"]

html_theme = "furo"
html_title = f"airflow-provider-commercetools {release}"
html_static_path: list[str] = []

# autodoc: the classes' own docstrings. Signatures without type hints: they name Airflow and
# standard-library types, which only intersphinx could resolve, and intersphinx needs the network.
autodoc_typehints = "none"
autodoc_member_order = "bysource"

# Nitpicky (-n): a reference that does not resolve is an error, except to types of Airflow, the
# standard library and third-party packages (no intersphinx offline: those can never resolve here).
EXTERNAL = r"(airflow|typing|collections|pathlib|datetime|requests|httpx|msgspec|pytest|asyncio|concurrent)(\..*)?"
nitpick_ignore_regex = [(r"py:.*", EXTERNAL)]
