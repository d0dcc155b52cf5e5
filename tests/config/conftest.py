"""Fixtures that write config files into a temporary folder and load them from there.

Tests run inside that folder and load `espform.yaml` by its relative name, so every
issue reads exactly as a user would see it: `espform.yaml:LINE:COL: message`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from textwrap import dedent

import pytest
from config_support import ENV, IssuesOf, Load, Write
from corpus_support import in_tmp, requests_sent  # noqa: F401 (fixtures shared by the corpus tests)

from reconciler.config import Config, load_config
from reconciler.errors import ConfigError


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def write(workdir: Path) -> Write:
    def _write(text: str, name: str = "espform.yaml") -> str:
        target = workdir / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(dedent(text).lstrip("\n"), encoding="utf-8")
        return name

    return _write


@pytest.fixture
def load(write: Write) -> Load:
    def _load(text: str, environ: Mapping[str, str] | None = None) -> Config:
        return load_config(write(text), ENV if environ is None else environ)

    return _load


@pytest.fixture
def issues_of(write: Write) -> IssuesOf:
    def _issues(text: str, environ: Mapping[str, str] | None = None) -> list[str]:
        name = write(text)
        with pytest.raises(ConfigError) as caught:
            load_config(name, ENV if environ is None else environ)
        return [str(issue) for issue in caught.value.issues]

    return _issues
