"""`espform sandbox serve` fault flags: the faults strike over a real socket."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.serve


@pytest.mark.parametrize(
    "flavor,path", [("mailerlite", "/api/groups"), ("mailchimp", "/3.0/lists")]
)
def test_drop_after_closes_the_socket_after_the_write(
    serve, tmp_path: Path, flavor: str, path: str
) -> None:
    flags = ("--fault-rate", "1", "--fault-kinds", "drop-after", "--fault-seed", "1")
    with serve(tmp_path / "s.db", flavor, *flags) as url:
        client = httpx.Client(base_url=url, headers={"Authorization": "Bearer t"})
        with pytest.raises(httpx.RemoteProtocolError):
            client.get(path)
        assert client.get("/_sandbox/faults/random").json()["random"]["kinds"] == ["drop-after"]
        client.delete("/_sandbox/faults/random")
        assert client.get(path).status_code == 200


def test_served_truncated_body_is_a_complete_http_answer(serve, tmp_path: Path) -> None:
    with serve(
        tmp_path / "s.db", "mailerlite", "--fault-rate", "1", "--fault-kinds", "truncated"
    ) as url:
        client = httpx.Client(base_url=url, headers={"Authorization": "Bearer t"})
        created = client.post("/api/groups", json={"name": "Partners"})
        assert created.status_code == 201
        with pytest.raises(ValueError):
            created.json()
        client.delete("/_sandbox/faults")
        assert [g["name"] for g in client.get("/api/groups").json()["data"]] == ["Partners"]


def test_bad_fault_flags_exit_1(espform, tmp_path: Path) -> None:
    result = espform(
        "sandbox",
        "serve",
        "--db",
        tmp_path / "s.db",
        "--port",
        "0",
        "--fault-rate",
        "0.1",
        "--fault-kinds",
        "500,boom",
    )
    assert result.exit_code == 1
    assert "boom" in result.output
