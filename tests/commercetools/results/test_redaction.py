"""Nothing sensitive in results: commercetools' secret fields and the user's ``redact_fields`` are redacted in the
records (item copies, answers) and cut out of the texts that echo them; a redacted record is never re-sent.

The publisher runs over real HTTP: against the fake (a customer draft that fails with DuplicateField),
and against a loopback server whose 400 answer echoes the password, as some servers and proxies do.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from airflow_provider_commercetools.commercetools.errors import ConfigurationError
from airflow_provider_commercetools.commercetools.imports.api import ImportApi
from airflow_provider_commercetools.commercetools.imports.importer import Importer
from airflow_provider_commercetools.commercetools.imports.records import NOT_WAITED
from airflow_provider_commercetools.commercetools.imports.resources import get_resource_type
from airflow_provider_commercetools.commercetools.results.records import FAILED, ItemResult
from airflow_provider_commercetools.commercetools.results.redaction import Redactor, check_redact_fields
from airflow_provider_commercetools.commercetools.results.report import PublishReport
from airflow_provider_commercetools.commercetools.transport.client import CommercetoolsClient
from airflow_provider_commercetools.commercetools.transport.safety import REDACTED
from airflow_provider_commercetools.commercetools.writing import PublishDefaults, Publisher
from airflow_provider_commercetools.testing import FakeCommercetools
from airflow_provider_commercetools.testing.fake.import_api import FakeImportApi
from tests.commercetools.clients import config_for
from tests.commercetools.loopback import Handler, Loopback

PASSWORD = "correct-horse-battery-staple-42"


@pytest.fixture
def ct() -> Iterator[FakeCommercetools]:
    with FakeCommercetools() as server:
        yield server


def publish(client: Any, items: list[Any], **options: Any) -> list[ItemResult]:
    publisher = Publisher(client, PublishDefaults.create(method="POST", entity="customers"), **options)
    return list(publisher.publish(publisher.prepare_all(items, strict=False)))


def text_of(result: ItemResult) -> str:
    return json.dumps(result.to_record()) + result.note


def test_a_failed_customer_draft_keeps_no_password(ct):
    ct.add("customers", {"key": "taken", "email": "first@example.com"})
    draft = {"key": "taken", "email": "second@example.com", "password": PASSWORD, "firstName": "Ada"}
    (result,) = publish(CommercetoolsClient(config_for(ct)), [draft], stop_on_failure=False)
    assert result.status == FAILED and "DuplicateField" in result.error["codes"]
    assert result.item == {**draft, "password": REDACTED}  # the rest stays, to see what failed
    assert PASSWORD not in text_of(result)
    report = PublishReport()
    report.add(result)
    assert PASSWORD not in json.dumps(report.summary(None, None)) + report.failure_message()
    sent = [r for r in ct.requests if r.method == "POST" and r.path.endswith("/customers")]
    assert json.loads(sent[0].body)["password"] == PASSWORD  # what was sent is untouched


def test_an_answer_echoing_the_password_is_cut_out_of_the_record():
    def echo(h: Handler) -> None:
        message = f"Invalid password '{PASSWORD}': too weird\nsecond line"
        h.json(400, {"statusCode": 400, "message": message, "errors": [{"code": "InvalidInput", "message": message}]})

    with Loopback(answer=echo) as loop:
        client = CommercetoolsClient(loop.config())
        (result,) = publish(client, [{"email": "x@example.com", "password": PASSWORD}], stop_on_failure=False)
    assert PASSWORD not in text_of(result)
    assert f"Invalid password '{REDACTED}'" in result.error["message"]
    assert "\\nsecond line" in result.error["message"]  # server text escaped: no forged log line


def test_redact_fields_and_the_secret_fields_of_the_spec():
    redactor = Redactor(check_redact_fields(["ssn"]))
    item = {
        "payload": {
            "email": "a@example.com",
            "password": "pw-1234",
            "custom": {"fields": {"ssn": "123-45-6789", "note": "ssn 123-45-6789 on file"}},
            "destination": {"type": "SQS", "accessKey": "AKIA1234", "accessSecret": "s3cr3t-value"},
            "authentication": {"type": "AzureFunctions", "key": "azure-function-key"},
        }
    }
    token = {"id": "t1", "customerId": "c1", "value": "reset-token-value", "expiresAt": "2030-01-01T00:00:00Z"}
    result = ItemResult(0, FAILED, "POST customers", item=item, response=token, note="echo reset-token-value")
    redacted = redactor.result(result)
    text = json.dumps(redacted.to_record()) + json.dumps(redacted.response) + redacted.note
    for secret in ("pw-1234", "123-45-6789", "AKIA1234", "s3cr3t-value", "azure-function-key", "reset-token-value"):
        assert secret not in text
    assert redacted.item["payload"]["email"] == "a@example.com" and redacted.response["customerId"] == "c1"
    assert redactor.result(ItemResult(1, FAILED, "POST products", item={"key": "p1", "value": 3})).item == {
        "key": "p1",
        "value": 3,  # "value" and "key" are secret only in a CustomerToken and an Azure Functions authentication
    }


def test_a_redacted_record_is_not_sent_again(ct):
    record = {
        "index": 0,
        "status": "failed",
        "request": "POST customers",
        "item": {"key": "k", "email": "a@example.com", "password": REDACTED},
    }
    (result,) = publish(CommercetoolsClient(config_for(ct)), [record], stop_on_failure=False)
    assert result.status == FAILED and result.error["parameter"] == "items[0].password"
    assert "Send it again from its source" in result.error["message"]
    assert not [r for r in ct.requests if r.method == "POST"]


@pytest.mark.parametrize("value", ["ssn", ("ssn", "vatId"), None])
def test_redact_fields_takes_names(value):
    assert check_redact_fields(value) == (() if value is None else ((value,) if isinstance(value, str) else value))


@pytest.mark.parametrize("value", [[""], [3], {"ssn": True}, 5])
def test_bad_redact_fields_are_refused_naming_the_parameter(value):
    with pytest.raises(ConfigurationError, match=r"^redact_fields: .* is not a list of field names"):
        check_redact_fields(value)


def test_the_import_api_records_keep_no_password(ct, tmp_path):
    """A CustomerImport that fails validation (no email): its record, failures file and summary hold no password."""
    imports = FakeImportApi(ct)
    client = CommercetoolsClient(config_for(ct, api_url=imports.url))
    importer = Importer(ImportApi(client), get_resource_type("customer"), "secrets", redact_fields=["vatId"])
    importer.api.ensure_container("secrets", importer.resource_type)
    items = [{"key": "c1", "password": PASSWORD, "vatId": "DE-123456", "addresses": []}]
    prepared, decided = importer.prepare(items, strict=False)
    records = decided + importer.send(prepared)
    output = tmp_path / "imported.jsonl"
    _, summary, _ = importer.report(records, NOT_WAITED, 0.0, str(output))
    sent = [json.loads(r.body) for r in ct.requests if r.method == "POST" and "import-containers/secrets" in r.path]
    assert sent and sent[0]["resources"][0]["password"] == PASSWORD
    stored = output.read_text() + json.dumps(summary) + json.dumps(importer.carry(records, 0.0))
    assert '"password": "[redacted]"' in output.read_text().replace('":"', '": "')
    assert PASSWORD not in stored and "DE-123456" not in stored
