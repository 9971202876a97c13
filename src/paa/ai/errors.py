"""Why a model could not answer, each as one line with what to do about it."""

from __future__ import annotations

from paa.errors import ConfigError, ExitCode, PaaError

SAVED = "your message is saved: `paa chat --continue` picks the conversation up again"


class ProviderError(PaaError):
    """The model provider failed; `retryable` says whether trying again later may work."""

    exit_code = ExitCode.UNAVAILABLE
    retryable = True


class NoApiKey(ConfigError):
    """No key is configured, so only the offline assistant can answer."""


class BadApiKey(ConfigError):
    """The API refused the key (401/403)."""


class RateLimited(ProviderError):
    """429 after the SDK's retries."""


class Overloaded(ProviderError):
    """529 (or 5xx) after the SDK's retries."""


class TimedOut(ProviderError):
    """No answer within the timeout."""


class NoConnection(ProviderError):
    """The API could not be reached at all."""


class StreamCut(ProviderError):
    """The reply stopped before its end (connection dropped, or an error event mid-stream)."""


class RequestRefused(ProviderError):
    """The API refused the request itself (400/404/413): trying again will not help."""

    retryable = False
