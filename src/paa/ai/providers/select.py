"""Pick the provider for a run: Claude when an API key is set (environment or stored), else offline."""

from __future__ import annotations

from collections.abc import Mapping

from paa.ai.errors import NoApiKey
from paa.ai.providers.base import Provider
from paa.ai.settings import AiSettings
from paa.config import Paths

NO_KEY_HINT = (
    "store one with `paa auth key set anthropic` (or export ANTHROPIC_API_KEY); offline, paa knows a few rules"
)


def choose(
    paths: Paths,
    ai: AiSettings,
    environ: Mapping[str, str],
    *,
    offline: bool = False,
    require_key: bool = False,
) -> Provider:
    """Claude with the key from ANTHROPIC_API_KEY or the secret store; offline when there is none (or asked)."""
    from paa.core.accounts.secrets import get_secret

    env = environ
    found = None if offline else get_secret(paths, "anthropic", env)
    if found is None:
        if require_key:
            raise NoApiKey("no Anthropic API key is set", hint=NO_KEY_HINT)
        from paa.ai.providers.offline import OfflineProvider

        return OfflineProvider()
    from paa.ai.providers.claude import ClaudeProvider

    return ClaudeProvider(
        found[0],
        model=ai.model,
        background_model=ai.background_model,
        base_url=env.get("ANTHROPIC_BASE_URL") or None,
        timeout=ai.timeout,
    )
