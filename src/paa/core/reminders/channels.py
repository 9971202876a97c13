"""What each notification channel needs from the settings, and which chosen channels lack it.

`paa config set`, `paa doctor`, the daemon and `paa remind run-due` all ask here, so they agree on
when a channel cannot deliver.
"""

from __future__ import annotations

from dataclasses import dataclass

from paa.config import Settings
from paa.core.context import Context

# The settings each channel's delivery depends on; a change to one of them can leave a chosen channel without it.
CHANNEL_SETTINGS = frozenset(
    {"notify_channels", "ntfy_url", "webhook_url", "smtp_host", "smtp_to", "smtp_from", "smtp_user"}
)


@dataclass(frozen=True)
class ChannelProblem:
    """A channel on `notify.channels` that cannot deliver as configured: what is missing and how to set it."""

    channel: str
    message: str
    hint: str

    def to_json(self) -> dict[str, str]:
        return {"channel": self.channel, "message": self.message, "hint": self.hint}


def chosen_channels(settings: Settings) -> list[str]:
    """The channels `notify.channels` names, in its order."""
    return [name for name in settings.notify_channels.split(",") if name]


def channel_problems(settings: Settings) -> list[ChannelProblem]:
    """The chosen channels that lack a setting they need; every delivery on them would fail."""
    chosen = chosen_channels(settings)
    problems = []
    if "ntfy" in chosen and not settings.ntfy_url:
        problems.append(
            ChannelProblem(
                "ntfy",
                "the ntfy channel is on but ntfy.url is not set",
                "paa config set ntfy.url https://ntfy.sh/your-topic (or take ntfy off notify.channels)",
            )
        )
    if "webhook" in chosen and not settings.webhook_url:
        problems.append(
            ChannelProblem(
                "webhook",
                "the webhook channel is on but webhook.url is not set",
                "paa config set webhook.url https://... (or take webhook off notify.channels)",
            )
        )
    if "email" in chosen and not (
        settings.smtp_host and settings.smtp_to and (settings.smtp_from or settings.smtp_user)
    ):
        problems.append(
            ChannelProblem(
                "email",
                "the email channel is on but smtp.host, smtp.to or smtp.from is not set",
                "paa config set smtp.host ..., smtp.to ... and smtp.from ... (see docs/reminders.md)",
            )
        )
    return problems


# --- whose reminders go where --------------------------------------------------------------------------------------

APP_CHANNEL = "app"


def channels_for(chosen: list[str], *, owner: bool) -> list[str]:
    """The channels one user's reminders go on, out of the install's channels.

    The channels config.toml sets (desktop, ntfy, webhook, email, log) are the machine's, so they carry only the
    install owner's reminders; everyone else's go on the app channel alone, to their own clients (docs/reminders.md).
    """
    return list(chosen) if owner else [APP_CHANNEL]


def user_channels(ctx: Context) -> list[str]:
    """The chosen channels (notify.channels) the acting user's reminders go on; see `channels_for`."""
    from paa.core.reminders.recipients import is_install_owner

    chosen = chosen_channels(ctx.loaded.settings)
    return channels_for(chosen, owner=is_install_owner(ctx.session, ctx.user_id))
