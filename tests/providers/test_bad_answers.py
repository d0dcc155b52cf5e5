"""`espform plan` against ESPs that answer 200 with something it cannot read.

Each case runs the real CLI against respx-mocked MailerLite and Mailchimp hosts and
checks: exit code 1, one message naming the request and the defect, no traceback, and
a bounded number of requests (endless paging must end).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from click.testing import CliRunner, Result

from reconciler.cli import main
from reconciler.providers.http import HttpClient

ML_TOKEN = "mlk-bad-answers-do-not-print"
MC_KEY = "0123456789abcdef0123456789abcdef-us6"
ENV = {"ML_TOKEN": ML_TOKEN, "MC_KEY": MC_KEY, "NO_COLOR": "1"}
ML_HOST = "https://connect.mailerlite.com"
MC_HOST = "https://us6.api.mailchimp.com"
CONFIGS = {
    "mailerlite": "provider: {type: mailerlite, token: '${env:ML_TOKEN}'}\ngroups:\n  A: {}\n",
    "mailchimp": "provider: {type: mailchimp, api_key: '${env:MC_KEY}'}\n",
}
#: The list each case spoils, per flavor, and the key that holds its items.
TARGET = {"mailerlite": ("/api/groups", "data"), "mailchimp": ("/3.0/lists", "lists")}
Answer = Callable[[httpx.Request], httpx.Response]


def ml_page(items: list[dict[str, Any]], page: int = 1, last: int = 1, **meta: Any) -> Any:
    following = f"{ML_HOST}/api/groups?page={page + 1}" if page < last else None
    return {
        "data": items,
        "links": {"next": following},
        "meta": {"current_page": page, "last_page": last, **meta},
    }


def mc_page(items: list[dict[str, Any]], total: int | None = None) -> Any:
    return {"lists": items, "total_items": len(items) if total is None else total}


def item(flavor: str, number: int, **changes: Any) -> dict[str, Any]:
    return {"id": f"{number}00{number}", "name": f"Group {number}", **changes}


def page_of(request: httpx.Request) -> int:
    return int(request.url.params.get("page", 1))


def offset_of(request: httpx.Request) -> int:
    return int(request.url.params.get("offset", 0))


@dataclass(frozen=True)
class Case:
    """A bad answer to the target list, per flavor, and the defect the message names."""

    answers: dict[str, Answer]
    defects: dict[str, str]


def same(body: Callable[[str], Any]) -> dict[str, Answer]:
    return {f: (lambda request, f=f: httpx.Response(200, json=body(f))) for f in TARGET}


def wrap(flavor: str, items: list[dict[str, Any]]) -> Any:
    return ml_page(items) if flavor == "mailerlite" else mc_page(items)


CASES: dict[str, Case] = {
    "missing list key": Case(
        same(lambda f: {"links": {}, "meta": {}} if f == "mailerlite" else {"total_items": 0}),
        {"mailerlite": "`data` is missing", "mailchimp": "`lists` is missing"},
    ),
    "list of the wrong type": Case(
        same(lambda f: {TARGET[f][1]: {"0": item(f, 1)}, "total_items": 1}),
        {
            "mailerlite": "`data` is an object, expected a list",
            "mailchimp": "`lists` is an object, expected a list",
        },
    ),
    "null id": Case(
        same(lambda f: wrap(f, [item(f, n) for n in range(4)] + [item(f, 4, id=None)])),
        {"mailerlite": "data[4].id is null", "mailchimp": "lists[4].id is null"},
    ),
    "missing name": Case(
        same(lambda f: wrap(f, [{"id": "17"}])),
        {"mailerlite": "data[0].name is missing", "mailchimp": "lists[0].name is missing"},
    ),
    "name of the wrong type": Case(
        same(lambda f: wrap(f, [item(f, 1, name=5)])),
        {
            "mailerlite": "data[0].name is a number, expected text",
            "mailchimp": "lists[0].name is a number, expected text",
        },
    ),
    "oversized page": Case(
        same(lambda f: wrap(f, [item(f, n) for n in range(1001)])),
        {
            "mailerlite": "the page holds 1001 items though at most 1000",
            "mailchimp": "the page holds 1001 items though at most 1000",
        },
    ),
    "the same page forever": Case(
        {
            # Page numbers move on, the content does not, and `next` is always set.
            "mailerlite": lambda r: httpx.Response(
                200, json=ml_page([item("mailerlite", 1)], page_of(r), page_of(r) + 1)
            ),
            "mailchimp": lambda r: httpx.Response(
                200, json=mc_page([item("mailchimp", offset_of(r))], total=10**9)
            ),
        },
        {
            "mailerlite": "the page repeats the page before it (endless paging)",
            "mailchimp": "`total_items` is 1000000000: 1000000000 pages of 1",
        },
    ),
    "pages that never end": Case(
        {
            # Every page is new and says there is one more.
            "mailerlite": lambda r: httpx.Response(
                200, json=ml_page([item("mailerlite", page_of(r))], page_of(r), page_of(r) + 1)
            ),
            # Pages run dry before the reported total.
            "mailchimp": lambda r: httpx.Response(
                200,
                json=mc_page([item("mailchimp", 1)] if offset_of(r) == 0 else [], total=3),
            ),
        },
        {
            "mailerlite": "paging has not ended after 3 pages",
            "mailchimp": "the page is empty before `total_items` (3)",
        },
    ),
    "page other than asked for": Case(
        {
            "mailerlite": lambda r: httpx.Response(
                200, json=ml_page([item("mailerlite", page_of(r))], 1, 3)
            ),
            # The total moves between pages: the list changed, items may be missed.
            "mailchimp": lambda r: httpx.Response(
                200, json=mc_page([item("mailchimp", offset_of(r))], total=2 + offset_of(r))
            ),
        },
        {
            "mailerlite": "meta.current_page is 1 (the server ignores `page`)",
            "mailchimp": "`total_items` is 3, but was 2 on the first page",
        },
    ),
}


def plan(tmp_path: Path, flavor: str, target: Answer) -> tuple[Result, int]:
    """`espform plan` with the target list answered by `target`; the other lists empty."""
    config = tmp_path / "espform.yaml"
    config.write_text(CONFIGS[flavor])
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as mock:
        path, _key = TARGET[flavor]
        spoiled = mock.get(url__regex=rf"^https://[^/]+{path}(\?.*)?$").mock(side_effect=target)
        mock.get(url__startswith=f"{ML_HOST}/api/").respond(200, json=ml_page([]))
        mock.get(url__startswith=f"{MC_HOST}/3.0/").respond(200, json=mc_page([]))
        result = CliRunner().invoke(main, ["plan", "-c", str(config)], env=ENV)
        return result, spoiled.call_count


def assert_clean_failure(result: Result, request: str, defect: str) -> None:
    assert result.exit_code == 1, result.output
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), result.exception
    assert "Traceback" not in result.output
    assert request in result.output, result.output
    assert defect in result.output, result.output
    assert "report it to the ESP" in result.output
    assert ML_TOKEN not in result.output and MC_KEY.split("-")[0] not in result.output


@pytest.mark.parametrize("flavor", sorted(TARGET))
@pytest.mark.parametrize("case", sorted(CASES))
def test_a_bad_list_answer_is_one_clear_error(tmp_path: Path, flavor: str, case: str) -> None:
    result, requests = plan(tmp_path, flavor, CASES[case].answers[flavor])
    request = "GET /api/groups?limit=1000&page=" if flavor == "mailerlite" else "GET /3.0/lists?"
    assert_clean_failure(result, request, CASES[case].defects[flavor])
    assert requests <= 4


@pytest.mark.parametrize("flavor", sorted(TARGET))
def test_an_html_page_in_place_of_a_list_is_the_same_clean_error(
    tmp_path: Path, flavor: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Unreadable reads are retried; the waits between tries are not what is tested.
    monkeypatch.setattr(HttpClient, "_backoff_for", lambda self, attempt: 0.0)
    html = httpx.Response(
        200, text="<html>Maintenance</html>", headers={"content-type": "text/html"}
    )
    result, requests = plan(tmp_path, flavor, lambda request: html)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert f"GET {TARGET[flavor][0]}?" in result.output
    assert "not JSON (text/html)" in result.output
    assert requests <= 5


RULES = """
provider: {type: mailerlite, token: '${env:ML_TOKEN}'}
groups:
  Active:
    rule: {status: active}
"""


def test_a_cursor_that_comes_back_ends_the_subscriber_scan(tmp_path: Path) -> None:
    """Cursor lists report no total; a cursor followed before is the loop to stop."""
    config = tmp_path / "espform.yaml"
    config.write_text(RULES)
    numbers = itertools.count(1)

    def subscribers(request: httpx.Request) -> httpx.Response:
        # Fresh subscribers on every page, so only the cursor shows the loop.
        number = next(numbers)
        data = [{"id": f"9{number}", "email": f"s{number}@example.com", "status": "active"}]
        # None -> A -> B -> A: a loop of two cursors, not a cursor repeated at once.
        cursor = "B" if request.url.params.get("cursor") == "A" else "A"
        return httpx.Response(
            200, json={"data": data, "links": {}, "meta": {"next_cursor": cursor}}
        )

    with respx.mock(assert_all_mocked=True, assert_all_called=False) as mock:
        scan = mock.get(url__startswith=f"{ML_HOST}/api/subscribers").mock(side_effect=subscribers)
        mock.get(url__startswith=f"{ML_HOST}/api/").respond(200, json=ml_page([]))
        result = CliRunner().invoke(main, ["plan", "-c", str(config)], env=ENV)
    assert_clean_failure(
        result,
        "GET /api/subscribers?limit=1000&include=groups&filter[status]=",
        "meta.next_cursor 'A' was followed before (endless paging)",
    )
    # Five statuses are walked at once, each ends at its third page at the latest.
    assert scan.call_count <= 15
