"""Shell completion through the real `paa` executable: the script for each shell, installing it, and completing."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

# Typer reads this to take the shell as the option's value instead of detecting the shell paa runs under.
NAMED_SHELL = {"_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}


def test_help_names_the_completion_options(cli) -> None:
    shown = cli("--help")
    assert shown.code == 0 and "--install-completion" in shown.out and "--show-completion" in shown.out


@pytest.mark.parametrize(
    ("shell", "line"),
    [("bash", "_PAA_COMPLETE=complete_bash"), ("zsh", "#compdef paa"), ("fish", "complete --command paa")],
)
def test_show_completion_prints_the_script_for_a_shell(run_paa, shell: str, line: str) -> None:
    done = run_paa("--show-completion", shell, env=NAMED_SHELL)
    assert done.returncode == 0, done.stderr
    assert line in done.stdout


def test_install_completion_writes_the_script_under_home(run_paa, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    done = run_paa("--install-completion", "bash", env={**NAMED_SHELL, "HOME": str(home)})
    assert done.returncode == 0, done.stderr
    assert "bash completion installed in" in done.stdout
    script = home / ".bash_completions" / "paa.sh"
    assert "_PAA_COMPLETE=complete_bash" in script.read_text()
    assert str(script.relative_to(home)) in (home / ".bashrc").read_text()


@pytest.mark.parametrize(
    ("words", "cword", "expected"),
    [("paa rem", 1, "remind"), ("paa remind sn", 2, "snooze"), ("paa checkin --ed", 2, "--edit")],
)
def test_the_shell_asks_paa_and_gets_the_completions(run_paa, words: str, cword: int, expected: str) -> None:
    done = run_paa(env={"_PAA_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(cword)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [expected]
