"""Notification channels: desktop, ntfy, webhook, email and the log. Each sends one event or raises DeliveryError."""

from __future__ import annotations

import json
import logging
import os
import platform
import subprocess
import threading
from collections.abc import Callable, Mapping
from functools import cache
from typing import ClassVar, Protocol

from paa.config import Paths, Settings
from paa.core.events import Event
from paa.redact import redact, redact_url

REMINDER_LOG = logging.getLogger("paa.reminders")
HTTP_TIMEOUT = 10.0
SMTP_TIMEOUT = 30.0


class DeliveryError(Exception):
    """A channel could not deliver; the message says why (and is stored on the notification row), never with a
    credential in it (`paa.redact`)."""


class LoggedInstead(str):
    """A channel's note that it wrote the reminder to the log in its place: kept on the row, but not a delivery."""


class Channel(Protocol):
    name: str

    def send(self, event: Event, notification_id: int) -> str | None:
        """Deliver the event; return a note worth keeping (e.g. a fallback was used), or raise DeliveryError."""
        ...


def _user_agent() -> str:
    from paa import __version__

    return f"paa/{__version__}"


def _post(url: str, body: bytes, headers: Mapping[str, str]) -> None:
    """POST with http.client: much lighter per request than urllib's opener machinery."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DeliveryError(f"not an http(s) URL: {redact_url(url)}")
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        import ssl

        connection = http.client.HTTPSConnection(parts.hostname, parts.port, timeout=HTTP_TIMEOUT,
                                                 context=ssl.create_default_context())  # fmt: skip
    else:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=HTTP_TIMEOUT)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", target, body=body, headers={"User-Agent": _user_agent(), **headers})
        response = connection.getresponse()
        response.read()
    except (OSError, http.client.HTTPException) as exc:
        raise DeliveryError(f"cannot reach {redact_url(url)}: {redact(str(exc))}") from None
    finally:
        connection.close()
    if not 200 <= response.status < 300:
        raise DeliveryError(f"{redact_url(url)} answered {response.status} {response.reason}")


class LogChannel:
    """Writes the reminder to the daemon's log; always works."""

    name = "log"

    def send(self, event: Event, notification_id: int) -> str | None:
        REMINDER_LOG.info("%s [%s #%d] %s: %s", event.type, event.local_due(), notification_id, event.title,
                          event.body)  # fmt: skip
        return None


class WebhookChannel:
    """POSTs the event as JSON (docs/reminders.md has the schema) to `webhook.url`."""

    name = "webhook"

    def __init__(self, url: str | None) -> None:
        self.url = url

    def send(self, event: Event, notification_id: int) -> str | None:
        if not self.url:
            raise DeliveryError("webhook.url is not set (paa config set webhook.url https://...)")
        payload = {**event.to_json(), "notification_id": notification_id, "channel": self.name}
        _post(self.url, json.dumps(payload).encode(), {"Content-Type": "application/json"})
        return None


def _header_text(text: str) -> str:
    """HTTP header values must be Latin-1; ntfy reads RFC 2047 encoded words for anything else."""
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        from email.header import Header

        return Header(text, "utf-8").encode()
    return text


class NtfyChannel:
    """Publishes to an ntfy topic (`ntfy.url`); PAA_NTFY_TOKEN, when set, is sent as a bearer token."""

    name = "ntfy"
    TAGS: ClassVar[dict[str, str]] = {
        "habit:reminder": "white_check_mark",
        "checkin:prompt": "memo",
        "chat:notification": "bell",
    }

    def __init__(self, url: str | None, token: str | None = None) -> None:
        self.url = url
        self.token = token

    def send(self, event: Event, notification_id: int) -> str | None:
        if not self.url:
            raise DeliveryError("ntfy.url is not set (paa config set ntfy.url https://ntfy.sh/your-topic)")
        headers = {"Title": _header_text(event.title), "Tags": self.TAGS.get(event.type, "bell")}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        _post(self.url, event.body.encode(), headers)
        return None


class EmailChannel:
    """Sends the reminder as an email over SMTP; the password is given, or read when a reminder goes out (from
    PAA_SMTP_PASSWORD or the secret store: `paa.core.accounts.secrets.smtp_password`)."""

    name = "email"

    def __init__(self, settings: Settings, password: str | Callable[[], str | None] | None) -> None:
        self.settings = settings
        self._password = password

    @property
    def password(self) -> str | None:
        return self._password() if callable(self._password) else self._password

    def send(self, event: Event, notification_id: int) -> str | None:
        import smtplib
        import ssl
        from email.message import EmailMessage

        s = self.settings
        sender = s.smtp_from or s.smtp_user
        if not s.smtp_host or not s.smtp_to or not sender:
            raise DeliveryError("email needs smtp.host, smtp.to and smtp.from (or smtp.user); see docs/reminders.md")
        message = EmailMessage()
        message["Subject"] = f"paa: {event.title}"
        message["From"], message["To"] = sender, s.smtp_to
        message.set_content(f"{event.body}\n\n(due {event.local_due()}; paa notification {notification_id})")
        try:
            if s.smtp_port == 465:
                client: smtplib.SMTP = smtplib.SMTP_SSL(s.smtp_host, s.smtp_port, timeout=SMTP_TIMEOUT,
                                                        context=ssl.create_default_context())  # fmt: skip
            else:
                client = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=SMTP_TIMEOUT)
            with client:
                if s.smtp_port != 465 and s.smtp_starttls:
                    client.starttls(context=ssl.create_default_context())
                password = self.password if s.smtp_user else None  # the keyring is asked only when needed
                if s.smtp_user and password:
                    client.login(s.smtp_user, password)
                client.send_message(message)
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"email via {s.smtp_host}:{s.smtp_port} failed: {redact(str(exc))}") from None
        return None


FeedPublisher = Callable[[Event, int], None]  # (event, notification id): adds it to the user's change feed


class AppChannel:
    """Puts the reminder into the user's change feed, where `paa serve` pushes it to every connected client (and a
    client that was offline gets it when it resumes); on by default while a server runs on this machine."""

    name = "app"

    def __init__(self, publish: FeedPublisher | None) -> None:
        self.publish = publish

    def send(self, event: Event, notification_id: int) -> str | None:
        if self.publish is None:
            raise DeliveryError("the app channel has no database to publish to here")
        try:
            self.publish(event, notification_id)
        except Exception as exc:  # the database failed: recorded on the row and retried like any delivery
            raise DeliveryError(f"cannot add the reminder to the change feed: {redact(str(exc))}") from None
        return None


Notifier = Callable[[str, str], bool]  # (title, body) -> shown?


def has_desktop_session(environ: Mapping[str, str]) -> bool:
    """Whether a desktop can show notifications: always on macOS and Windows; on Linux, a session bus."""
    system = platform.system()
    if system in ("Darwin", "Windows"):
        return True
    if environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return True
    runtime = environ.get("XDG_RUNTIME_DIR")
    return runtime is not None and os.path.exists(os.path.join(runtime, "bus"))


@cache
def _desktop_notifier_sender() -> Notifier:
    """desktop-notifier (D-Bus on Linux, WinRT on Windows), one per process; it reports failures only through
    callbacks."""
    from desktop_notifier import DesktopNotifierSync

    notifier = DesktopNotifierSync(app_name="paa")

    def send(title: str, body: str) -> bool:
        shown: list[bool] = []
        notifier.send(title=title, message=body, on_dispatched=lambda: shown.append(True))
        return bool(shown)

    return send


def _osascript_sender(title: str, body: str) -> bool:
    """macOS: desktop-notifier needs a signed app bundle, so a plain Python process asks AppleScript."""
    script = f"display notification {json.dumps(body)} with title {json.dumps(title)}"
    done = subprocess.run(["osascript", "-e", script], capture_output=True, timeout=HTTP_TIMEOUT, check=False)
    return done.returncode == 0


class DesktopChannel:
    """A desktop notification; without a desktop session (a server, SSH) it falls back to the log."""

    name = "desktop"

    def __init__(self, environ: Mapping[str, str], notifier: Notifier | None = None) -> None:
        self.environ = environ
        self._notifier = notifier
        self._lock = threading.Lock()  # desktop-notifier's sync API runs one event loop: one send at a time

    def _sender(self) -> Notifier:
        if self._notifier is None:
            self._notifier = _osascript_sender if platform.system() == "Darwin" else _desktop_notifier_sender()
        return self._notifier

    def send(self, event: Event, notification_id: int) -> str | None:
        if self._notifier is None and not has_desktop_session(self.environ):
            LogChannel().send(event, notification_id)
            return LoggedInstead("no desktop session: written to the log instead")
        with self._lock:
            try:
                shown = self._sender()(event.title, event.body)
            except Exception as exc:  # a broken desktop stack must not lose the reminder
                shown, reason = False, f"{type(exc).__name__}: {exc}"
            else:
                reason = "the notification service did not accept it"
        if not shown:
            LogChannel().send(event, notification_id)
            return LoggedInstead(f"desktop notification failed ({reason}): written to the log instead")
        return None


def build_channels(
    settings: Settings,
    environ: Mapping[str, str],
    notifier: Notifier | None = None,
    feed: FeedPublisher | None = None,
    *,
    paths: Paths | None = None,
) -> dict[str, Channel]:
    """The channels `notify.channels` names, configured from the settings and the environment; `feed` publishes
    the app channel's reminders; `paths` locates the secret store the SMTP password may be kept in."""
    made: dict[str, Channel] = {}
    for name in settings.notify_channels.split(","):
        if name == "desktop":
            made[name] = DesktopChannel(environ, notifier)
        elif name == "ntfy":
            made[name] = NtfyChannel(settings.ntfy_url, environ.get("PAA_NTFY_TOKEN") or None)
        elif name == "webhook":
            made[name] = WebhookChannel(settings.webhook_url)
        elif name == "email":
            made[name] = EmailChannel(settings, _smtp_password(settings, environ, paths))
        elif name == "log":
            made[name] = LogChannel()
        elif name == "app":
            made[name] = AppChannel(feed)
    return made


def _smtp_password(
    settings: Settings, environ: Mapping[str, str], paths: Paths | None
) -> Callable[[], str | None] | str | None:
    """The SMTP password, or how to read it when a reminder goes out (not at every tick: it may be in the keyring)."""
    if paths is None:
        return environ.get("PAA_SMTP_PASSWORD") or settings.smtp_password or None

    def read() -> str | None:
        from paa.core.accounts.secrets import smtp_password

        return smtp_password(paths, settings, environ)

    return read


def configuration_problems(settings: Settings) -> list[str]:
    """What keeps a chosen channel from working, said once at start so it shows in `paa daemon status`."""
    from paa.core.reminders.channels import channel_problems

    return [problem.message for problem in channel_problems(settings)]
