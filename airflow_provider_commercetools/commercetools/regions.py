"""The regions of commercetools' hosted API. Imports nothing: the connection form reads it too."""

from __future__ import annotations

#: As in ``https://api.{region}.commercetools.com`` and ``https://auth.{region}.commercetools.com``.
REGIONS: tuple[str, ...] = (
    "europe-west1.gcp",
    "us-central1.gcp",
    "australia-southeast1.gcp",
    "eu-central-1.aws",
    "us-east-2.aws",
    "eastus.azure",
)
