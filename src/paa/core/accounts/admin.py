"""What admins do to accounts: list them, change their role, enable or disable them; the last admin stays."""

from __future__ import annotations

from sqlmodel import Session, col, select

from paa.core.accounts import rbac
from paa.core.accounts.auth import AuthContext, require_admin
from paa.core.accounts.lookups import find_user, protected_admins
from paa.core.accounts.sessions import revoke_all_sessions
from paa.core.accounts.views import UserView, user_view, user_views
from paa.db.models import User
from paa.errors import PermissionDenied


def list_users(actx: AuthContext) -> list[UserView]:
    require_admin(actx)
    users = list(actx.session.exec(select(User).order_by(col(User.id))).all())
    return user_views(actx.session, users)


def set_role(actx: AuthContext, username: str, role: str) -> UserView:
    """Make a user an admin or a member; the last admin who can log in cannot be demoted."""
    require_admin(actx)
    wanted = rbac.check_role(role)
    user = find_user(actx.session, username)
    assert user.id is not None
    if wanted != "admin" and user.role == "admin" and _keeps_admins(actx.session, user) is False:
        raise PermissionDenied(f"{user.username} is the last admin", hint="make someone else an admin first")
    user.role = wanted
    actx.session.add(user)
    actx.session.flush()
    return user_view(actx.session, user)


def set_active(actx: AuthContext, username: str, active: bool) -> UserView:
    """Enable or disable an account; disabling ends its sessions, and the last admin cannot be disabled."""
    acting = require_admin(actx)
    user = find_user(actx.session, username)
    assert user.id is not None
    if not active:
        if user.id == acting.user.id:
            raise PermissionDenied("you cannot disable your own account", hint="ask another admin")
        if user.role == "admin" and _keeps_admins(actx.session, user) is False:
            raise PermissionDenied(f"{user.username} is the last admin", hint="make someone else an admin first")
        revoke_all_sessions(actx.session, user.id, actx.secure_now())
    user.is_active = active
    actx.session.add(user)
    actx.session.flush()
    return user_view(actx.session, user)


def _keeps_admins(session: Session, leaving: User) -> bool:
    """Whether another admin who can log in remains once `leaving` stops being one."""
    return protected_admins(session, excluding=leaving.id) > 0
