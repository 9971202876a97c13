"""Figures about reminder deliveries over every user, for a server's metrics (no user's rows are shown)."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, col, select

from paa.db.models import Notification

DELIVERED = ("sent", "logged")  # reached its channel (or, for the log channel and a desktop fallback, the log)


def delivered_by_channel(session: Session) -> dict[str, int]:
    """How many reminder deliveries reached each channel, from whichever process sent them (daemon or run-due)."""
    query = (
        select(Notification.channel, func.count())
        .where(col(Notification.status).in_(DELIVERED))
        .group_by(col(Notification.channel))
    )
    return {channel: int(count) for channel, count in session.exec(query).all()}
