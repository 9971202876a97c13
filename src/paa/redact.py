"""Taking secrets out of text before paa logs, stores or shows it: URL credentials, tokens, keys and passwords.

One function, `redact`, is applied wherever paa writes an error about a channel (the daemon's log, a notification's
stored error, `run-due`'s output); `mask_secret` shows a secret setting without its value.
"""

from __future__ import annotations

import re
from urllib.parse import SplitResult, urlsplit

HIDDEN = "***"
_FILE_SCHEMES = ("sqlite", "file")  # URLs naming a local file: their path is shown as is

# Query parameters and key=value pairs whose value is a credential (`token`, `api_key`, `client_secret`, `sig`...).
_SECRET_NAME = r"[A-Za-z0-9_.-]*(?:token|key|secret|password|passwd|pwd|auth|signature|sig|credential)[A-Za-z0-9_.-]*"
_SECRET_NAME_RE = re.compile(rf"^{_SECRET_NAME}$", re.IGNORECASE)
_URL_RE = re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>()]+")
_BEARER_RE = re.compile(r"\b(Bearer|Basic|Token)(\s+)[A-Za-z0-9._~+/=-]{6,}", re.IGNORECASE)
_API_KEY_RE = re.compile(
    r"\b(?:sk|pk|rk)-[A-Za-z0-9_-]{8,}|\b(?:ghp|gho|ghs|ghu|github_pat|xox[abpr])_?[A-Za-z0-9_-]{10,}"
)
_PAIR_RE = re.compile(rf"\b({_SECRET_NAME})(\s*[=:]\s*)([^\s&,;'\"]+)", re.IGNORECASE)
# A path segment that reads like a token (a webhook's secret part): long, with letters and digits.
_TOKEN_SEGMENT_RE = re.compile(r"^(?=[A-Za-z0-9_-]*[A-Za-z])(?=[A-Za-z0-9_-]*[0-9])[A-Za-z0-9_-]{20,}$")


def redact(text: str) -> str:
    """`text` with every credential it holds replaced by ***: URL user:password, secret query values and path
    tokens, bearer tokens, API keys, and `password=...`-style pairs."""
    text = _URL_RE.sub(lambda match: redact_url(match.group(0)), text)
    text = _BEARER_RE.sub(lambda match: f"{match.group(1)}{match.group(2)}{HIDDEN}", text)
    text = _API_KEY_RE.sub(HIDDEN, text)
    return _PAIR_RE.sub(lambda match: match.group(1) + match.group(2) + HIDDEN if match.group(3) != HIDDEN
                        else match.group(0), text)  # fmt: skip


def redact_url(url: str) -> str:
    """The URL with its user:password, token-like path segments and secret query values replaced by ***."""
    parts = _split(url)
    if parts is None:
        return url
    if parts.scheme.partition("+")[0].lower() in _FILE_SCHEMES:
        # A file's path is no secret (and urlunsplit would drop a slash of `sqlite:////abs/path`): only the query.
        base, mark, rest = url.partition("?")
        query = rest.partition("#")[0]
        return base + mark + "&".join(_redact_pair(pair) for pair in query.split("&")) if mark else base
    host = parts.netloc.rpartition("@")[2]
    netloc = f"{HIDDEN}@{host}" if "@" in parts.netloc else host
    path = "/".join(HIDDEN if _TOKEN_SEGMENT_RE.match(segment) else segment for segment in parts.path.split("/"))
    query = "&".join(_redact_pair(pair) for pair in parts.query.split("&")) if parts.query else ""
    return parts._replace(netloc=netloc, path=path, query=query, fragment="").geturl()


def mask_secret(value: str) -> str:
    """A secret setting as shown to someone who may not read it: a URL's scheme and host, else only ***."""
    parts = _split(value)
    if parts is None or not parts.scheme:
        return HIDDEN
    host = parts.netloc.rpartition("@")[2]
    return f"{parts.scheme}://{host}/{HIDDEN}"


def _redact_pair(pair: str) -> str:
    name, equals, _value = pair.partition("=")
    return f"{name}={HIDDEN}" if equals and _SECRET_NAME_RE.match(name) else pair


def _split(url: str) -> SplitResult | None:
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return parts if parts.scheme and "://" in url else None
