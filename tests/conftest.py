from __future__ import annotations

import pytest

#: The pet-care example reads its webhook URL (which carries a token) from here.
EXAMPLE_WEBHOOK_ENV = "PETMANAGER_UNSUBSCRIBE_WEBHOOK_URL"
EXAMPLE_WEBHOOK_URL = "https://crm.petmanager.example/hooks/mailchimp?token=example-s3cret"


@pytest.fixture(autouse=True)
def _example_webhook_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(EXAMPLE_WEBHOOK_ENV, EXAMPLE_WEBHOOK_URL)
