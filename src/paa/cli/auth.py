"""`paa auth`: accounts, logins, sessions and API keys. Passwords and keys are read hidden and never printed."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from paa.cli.output import confirm, emit_json, escape, say

if TYPE_CHECKING:
    from paa.core.accounts.auth import AuthContext
    from paa.core.accounts.identities import IdentityView
    from paa.core.accounts.oauth import Http, Identity
    from paa.core.accounts.sessions import Login
    from paa.core.accounts.views import SessionView

NameArg = Annotated[str, typer.Argument(help="Which key: anthropic.", show_default=False)]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON (schema in docs/accounts.md).")]
UserArg = Annotated[str | None, typer.Argument(help="User name (default: --user, or asked).", show_default=False)]
StdinOpt = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password(s) from stdin, one per line, for scripts.")
]
DropOpt = Annotated[
    bool | None,
    typer.Option(
        "--drop-identities/--keep-identities",
        help="Also unlink every GitHub/Google identity from your account (asked on a terminal; kept otherwise).",
        show_default=False,
    ),
]


def create() -> typer.Typer:
    app = typer.Typer(help="Accounts, logins, sessions and API keys.", no_args_is_help=True)
    app.command("register")(register)
    app.command("login")(login)
    app.command("logout")(logout)
    app.command("whoami")(whoami)
    app.command("passwd")(passwd)
    app.command("sessions")(sessions)
    app.command("revoke")(revoke)
    app.command("rotate-keys")(rotate_keys)
    identities = typer.Typer(help="List the GitHub/Google identities you log in with (no command), or unlink one.")
    identities.callback(invoke_without_command=True)(identities_list)
    identities.command("unlink")(identities_unlink)
    app.add_typer(identities, name="identities")
    key = typer.Typer(help="Store, list and remove API keys (never printed).", no_args_is_help=True)
    key.command("set")(key_set)
    key.command("list")(key_list)
    key.command("remove")(key_remove)
    app.add_typer(key, name="key")
    from paa.cli import auth_tokens

    app.add_typer(auth_tokens.create(), name="token")
    return app


# ---- reading secrets -----------------------------------------------------------------------------------------


def _read_key() -> str:
    """The key from a hidden prompt on a terminal, else the first line of stdin (never from the command line)."""
    if sys.stdin.isatty():
        import getpass

        return getpass.getpass("API key (input hidden): ")
    return sys.stdin.readline()


class _Passwords:
    """Where passwords come from: hidden prompts on a terminal, or lines of stdin with --password-stdin."""

    def __init__(self, from_stdin: bool) -> None:
        from paa.errors import InvalidInput

        self.from_stdin = from_stdin
        if not from_stdin and not sys.stdin.isatty():
            raise InvalidInput("there is no terminal to ask for the password", hint="pipe it in with --password-stdin")

    def ask(self, prompt: str, *, twice: bool = False) -> str:
        from paa.errors import InvalidInput

        if self.from_stdin:
            line = sys.stdin.readline()
            if not line:
                raise InvalidInput("stdin ended before the password", hint="give one password per line")
            return line.rstrip("\r\n")
        import getpass

        first = getpass.getpass(f"{prompt}: ")
        if twice and getpass.getpass("Repeat it: ") != first:
            raise InvalidInput("the two passwords differ", hint="nothing was changed; try again")
        return first


def _source() -> str:
    """Where a login comes from, for the slowdown: the OS user running paa."""
    import os

    uid = getattr(os, "getuid", None)
    if uid is not None:
        return f"cli:uid={uid()}"
    import getpass

    return f"cli:{getpass.getuser()}"


def _label() -> str:
    import platform

    return f"cli on {platform.node() or 'this machine'}"[:100]


def _ask_name(given: str | None, prompt: str) -> str:
    from paa.cli import runtime
    from paa.errors import InvalidInput

    name = given or runtime.named_user() or None
    if name:
        return name
    if not sys.stdin.isatty():
        raise InvalidInput("no user name given", hint="name the user: paa auth login NAME")
    return str(typer.prompt(prompt))


def _store(actx: AuthContext, done: Login) -> None:
    from paa.core.accounts.tokenfile import remember_token

    remember_token(actx.paths, done.user.username, done.token)


def _role_note(done: Login) -> str:
    return " You are an admin." if done.user.role == "admin" else ""


# ---- accounts ------------------------------------------------------------------------------------------------


def register(
    username: UserArg = None,
    email: Annotated[str | None, typer.Option("--email", help="Your email address.")] = None,
    name: Annotated[str | None, typer.Option("--name", help="How paa should call you.")] = None,
    password_stdin: StdinOpt = False,
) -> None:
    """Create an account with a password and log in to it.

    Examples:

      paa auth register ann --email ann@example.org

      printf '%s\\n' "$PASSWORD" | paa auth register ann --email ann@example.org --password-stdin
    """
    from paa.cli import runtime
    from paa.core.accounts.registration import register as core_register

    user_name = _ask_name(username, "User name")
    if email is None and sys.stdin.isatty() and not password_stdin:
        email = typer.prompt("Email", default="", show_default=False) or None
    password = _Passwords(password_stdin).ask("Password (input hidden)", twice=True)
    with runtime.current().auth(write=True) as actx:
        done = core_register(actx, user_name, password, email=email, display_name=name, label=_label())
        _store(actx, done)
    say(f"Registered and logged in as {escape(done.user.username)}.{_role_note(done)}")


def login(
    username: UserArg = None,
    password_stdin: StdinOpt = False,
    github: Annotated[bool, typer.Option("--github", help="Log in with GitHub (device code).")] = False,
    google: Annotated[bool, typer.Option("--google", help="Log in with Google (device code).")] = False,
) -> None:
    """Log in with a password, or with GitHub or Google, and keep the session for later commands.

    Logged in already, a new GitHub or Google identity is linked to your account: that asks for your password.

    Examples:

      paa auth login ann

      paa auth login --github
    """
    from paa.cli import runtime
    from paa.core.accounts.sessions import login as core_login

    if github or google:
        if github and google:
            from paa.errors import InvalidInput

            raise InvalidInput("choose one of --github and --google")
        _device_login("github" if github else "google", password_stdin)
        return
    user_name = _ask_name(username, "User name")
    password = _Passwords(password_stdin).ask("Password (input hidden)")
    with runtime.current().auth(write=True) as actx:
        done = core_login(actx, user_name, password, source=_source(), label=_label())
        _store(actx, done)
    say(f"Logged in as {escape(done.user.username)} until {done.expires_at:%Y-%m-%d}.{_role_note(done)}")


def provider_http() -> Http:
    """How `login --github/--google` reaches the provider: https with a verified certificate (tests put a fake here)."""
    from paa.core.accounts.oauth import https_transport

    return https_transport


def _approved_identity(provider_name: str) -> tuple[Identity, str]:
    """Run the device flow: the identity the provider vouches for once the person approves the code, and its title."""
    from paa.cli import runtime
    from paa.core.accounts import oauth

    http = provider_http()
    provider = oauth.provider_for(provider_name, runtime.current().loaded.settings)
    device = oauth.start_device_flow(provider, http=http)
    shown = device.verification_uri_complete or device.verification_uri
    say(f"Open {escape(shown)} and enter the code [bold]{escape(device.user_code)}[/bold].")
    say(f"Waiting for you to approve paa on {provider.title} (the code works for {device.expires_in // 60} min)...")
    return oauth.wait_for_identity(provider, device, http=http), provider.title


def _device_login(provider_name: str, password_stdin: bool) -> None:
    from paa.cli import runtime
    from paa.core.accounts.identities import link_target, sign_in_with_identity

    command = runtime.current()
    identity, title = _approved_identity(provider_name)
    password = None
    with command.auth() as actx:
        target = link_target(actx, identity.provider, identity.subject)
        target_name = target.username if target is not None else None
    if target_name is not None:
        who = escape(identity.login or identity.email or identity.subject)
        say(f"The {title} identity {who} is linked to no account; linking it to {escape(target_name)}.")
        if password_stdin or sys.stdin.isatty():  # without either, core refuses and says how
            password = _Passwords(password_stdin).ask(f"{target_name}'s password, to link it (input hidden)")
    with command.auth(write=True) as actx:
        done = sign_in_with_identity(
            actx, identity.provider, identity.subject, email=identity.email, email_verified=identity.email_verified,
            name_hint=identity.login, label=_label(), password=password, source=_source(),
        )  # fmt: skip
        _store(actx, done)
    what = {
        "linked": f"Linked your {title} identity to {done.user.username} and logged in.",
        "created": f"Created the account {done.user.username} for your {title} identity and logged in.",
    }.get(done.outcome, f"Logged in as {done.user.username} with {title}.")
    say(escape(what) + _role_note(done))


def _drop_wanted(choice: bool | None, providers: tuple[str, ...] | list[str]) -> bool:
    """Whether to unlink the account's identities: the flag, else a question on a terminal, else no."""
    if choice is not None or not providers:
        return bool(choice) and bool(providers)
    if not sys.stdin.isatty():
        return False
    names = ", ".join(sorted(set(providers)))
    return bool(typer.confirm(f"Also unlink {names} from your account? Whoever linked one can log in with it.",
                              default=False))  # fmt: skip


def _dropped_line(dropped: list[IdentityView], kept: tuple[str, ...] | list[str], choice: bool | None) -> str | None:
    if dropped:
        names = ", ".join(sorted({view.provider for view in dropped}))
        return f"Unlinked {len(dropped)} identit{'y' if len(dropped) == 1 else 'ies'} ({names})."
    if kept and choice is None:
        names = ", ".join(sorted(set(kept)))
        return f"Still linked: {names} (unlink with --drop-identities, or `paa auth identities unlink`)."
    return None


def logout(
    everywhere: Annotated[bool, typer.Option("--everywhere", help="End all your sessions, not just this one.")] = False,
    drop_identities: DropOpt = None,
) -> None:
    """End your session on this machine (or all of them, and unlink your GitHub/Google identities if you wish)."""
    from paa.cli import runtime
    from paa.core.accounts.identities import drop_identities as core_drop
    from paa.core.accounts.sessions import end_session, revoke_all_sessions
    from paa.core.accounts.tokenfile import forget_token, read_tokens
    from paa.errors import InvalidInput

    if drop_identities and not everywhere:
        raise InvalidInput(
            "--drop-identities goes with --everywhere", hint="paa auth logout --everywhere --drop-identities"
        )
    linked: list[str] = []
    has_password = True
    if everywhere:
        from paa.core.accounts.sessions import whoami as core_whoami

        with runtime.current().auth() as actx:
            if actx.acting is not None and actx.acting.authenticated:
                linked = [view.provider for view in _identities_of(actx)]
                has_password = core_whoami(actx).user.has_password
    # an account without a password keeps its identities (its only way in) unless the flag insists, and core refuses
    offered = linked if has_password or drop_identities else []
    drop = _drop_wanted(drop_identities, offered)
    dropped: list[IdentityView] = []
    with runtime.current().auth(write=True) as actx:
        stored = read_tokens(actx.paths)
        name = actx.acting.user.username if actx.acting else (runtime.named_user() or stored.current)
        token = stored.tokens.get(name or "")
        if token is None:
            from paa.errors import AuthError

            raise AuthError("you are not logged in", hint="nothing to log out of")
        ended = 0
        if everywhere and actx.acting is not None and actx.acting.user.id is not None:
            if drop:
                from paa.db.models import User

                user = actx.session.get(User, actx.acting.user.id)
                dropped = core_drop(actx, user) if user is not None else []
            ended = revoke_all_sessions(actx.session, actx.acting.user.id, actx.secure_now())
        end_session(actx, token)
        forget_token(actx.paths, name or "")
    extra = f" and {ended - 1} other session{'s' if ended != 2 else ''}" if everywhere and ended > 1 else ""
    say(f"Logged out {escape(name or '')}{extra}.")
    line = _dropped_line(dropped, offered, drop_identities)
    if line:
        say(line)


def whoami(as_json: JsonOpt = False) -> None:
    """Show who paa acts as, and how (session, profile or the local user)."""
    from paa.cli import runtime
    from paa.core.accounts.sessions import whoami as core_whoami

    with runtime.current().auth() as actx:
        found = core_whoami(actx)
    if as_json:
        emit_json(found.to_json())
        return
    user = found.user
    how = {"session": "logged in", "profile": "profile without a password", "local": "the local user, no login"}
    role = f"{user.role}{'' if user.is_active else ', disabled'}"
    say(f"{escape(user.username)} ({role}): {how.get(found.via, found.via)}")
    if user.email:
        say(f"  email: {escape(user.email)}")
    if found.session and found.session.expires_at:
        say(f"  session #{found.session.id} until {found.session.expires_at:%Y-%m-%d %H:%M} UTC")
    if user.identities:
        say(f"  linked: {', '.join(user.identities)}")


def passwd(
    password_stdin: StdinOpt = False,
    drop_identities: DropOpt = None,
    github: Annotated[
        bool, typer.Option("--github", help="No password yet: prove it is you with your linked GitHub account.")
    ] = False,
    google: Annotated[
        bool, typer.Option("--google", help="No password yet: prove it is you with your linked Google account.")
    ] = False,
) -> None:
    """Change your password (or set the first one); your other sessions end.

    No password yet (made by GitHub/Google sign-in)? --github or --google: approve a code with the linked account.

    Examples:

      paa auth passwd

      paa auth passwd --github

      printf '%s\\n' "$OLD" "$NEW" "$NEW" | paa auth passwd --password-stdin --drop-identities
    """
    from paa.cli import runtime
    from paa.core.accounts.identities import drop_identities as core_drop
    from paa.core.accounts.registration import change_password, first_password_refusal
    from paa.core.accounts.sessions import whoami
    from paa.db.models import User
    from paa.errors import InvalidInput

    if github and google:
        raise InvalidInput("choose one of --github and --google")
    reader = _Passwords(password_stdin)
    with runtime.current().auth() as actx:
        me = whoami(actx).user
    proof: tuple[str, str] | None = None
    if github or google:
        if me.has_password:
            raise InvalidInput(f"{me.username} has a password: --github and --google are for setting the first one",
                               hint="paa auth passwd (it asks for the current password)")  # fmt: skip
        identity, _title = _approved_identity("github" if github else "google")
        proof = (identity.provider, identity.subject)
    elif not me.has_password and me.identities:
        raise first_password_refusal(me.username, me.identities)  # before asking for a password it would refuse
    current = reader.ask("Current password (input hidden)") if me.has_password else None
    new = reader.ask("New password (input hidden)", twice=True)
    drop = _drop_wanted(drop_identities, me.identities)
    dropped: list[IdentityView] = []
    with runtime.current().auth(write=True) as actx:
        done = change_password(actx, current, new, source=_source(), label=_label(), identity=proof)
        if drop:
            user = actx.session.get(User, me.id)
            dropped = core_drop(actx, user) if user is not None else []
        if done is not None:
            _store(actx, done)
    if done is not None:
        say(f"{escape(done.user.username)} now has a password, and is logged in.{_role_note(done)}")
    elif not me.has_password:
        say("Password set: you can log in with it too. Your other sessions have ended.")
    else:
        say("Password changed. Your other sessions have ended.")
    line = _dropped_line(dropped, me.identities, drop_identities)
    if line:
        say(line)


# ---- identities ----------------------------------------------------------------------------------------------


def _identities_of(actx: AuthContext) -> list[IdentityView]:
    from paa.core.accounts.identities import list_identities

    return list_identities(actx)


def identities_list(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List the GitHub/Google identities linked to your account; `unlink PROVIDER` removes one.

    Examples:

      paa auth identities

      paa auth identities unlink github
    """
    if ctx.invoked_subcommand is not None:
        return
    from paa.cli import runtime

    with runtime.current().auth() as actx:
        found = _identities_of(actx)
    if as_json:
        emit_json([view.to_json() for view in found])
        return
    if not found:
        say("No identities are linked. Link one with `paa auth login --github` (or --google) while logged in.")
    for view in found:
        used = f"used {view.last_used_at:%Y-%m-%d}" if view.last_used_at else "never used"
        label = f" ({escape(view.label)})" if view.label else ""
        say(f"{view.provider} {escape(view.subject)}{label}: linked {view.created_at:%Y-%m-%d}, {used}")


def identities_unlink(
    provider: Annotated[str, typer.Argument(help="Which provider: github or google.", show_default=False)],
) -> None:
    """Unlink a provider's identity from your account, so it no longer logs you in."""
    from paa.cli import runtime
    from paa.core.accounts.identities import unlink_identity

    with runtime.current().auth(write=True) as actx:
        removed = unlink_identity(actx, provider)
    say(f"Unlinked {removed[0].provider} from your account; it no longer logs you in.")


# ---- sessions and keys ---------------------------------------------------------------------------------------


def _session_line(view: SessionView) -> str:
    last = f"used {view.last_used_at:%Y-%m-%d}" if view.last_used_at else "not used since login"
    until = f"until {view.expires_at:%Y-%m-%d}" if view.expires_at else "no expiry"
    mark = " (this one)" if view.current else ""
    state = " [ended]" if view.revoked_at else ""
    return f"#{view.id} {escape(view.username)} {view.kind}: {escape(view.label or '-')}, {last}, {until}{mark}{state}"


def sessions(
    all_users: Annotated[bool, typer.Option("--all", help="Every user's sessions (admins only).")] = False,
    ended: Annotated[bool, typer.Option("--ended", help="Include ended and expired sessions.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """List your sessions (CLI logins and API logins)."""
    from paa.cli import runtime
    from paa.core.accounts.sessions import list_sessions

    with runtime.current().auth() as actx:
        found = list_sessions(actx, every_user=all_users, include_ended=ended)
    if as_json:
        emit_json([view.to_json() for view in found])
        return
    if not found:
        say("No sessions.")
    for view in found:
        say(_session_line(view))


def revoke(
    session_id: Annotated[int | None, typer.Argument(help="Session id, from `paa auth sessions`.")] = None,
    others: Annotated[bool, typer.Option("--others", help="End all your sessions but this one.")] = False,
) -> None:
    """End a session by id, or all your other sessions."""
    from paa.cli import runtime
    from paa.core.accounts.sessions import revoke_all_sessions, revoke_session
    from paa.errors import InvalidInput

    if (session_id is None) == (not others):
        raise InvalidInput("give a session id or --others", hint="see `paa auth sessions`")
    with runtime.current().auth(write=True) as actx:
        if others:
            acting = actx.actor()
            assert acting.user.id is not None
            count = revoke_all_sessions(actx.session, acting.user.id, actx.secure_now(), keep=acting.session_id)
            message = f"Ended {count} other session{'s' if count != 1 else ''}."
        else:
            assert session_id is not None
            view = revoke_session(actx, session_id)
            message = f"Ended session #{view.id} of {escape(view.username)}."
    say(message)


def rotate_keys(
    grace: Annotated[
        int, typer.Option("--grace", min=0, max=10080, help="Minutes tokens signed with the old key stay valid.")
    ] = 15,
) -> None:
    """Make new token signing and data keys; the old signing key verifies for a grace period (admins)."""
    from datetime import timedelta

    from paa.cli import runtime
    from paa.core.accounts.auth import require_admin
    from paa.core.accounts.tokens import rotate_signing_key
    from paa.core.encryption import finish_rotation, rotate_data_key

    command = runtime.current()
    with command.auth(write=True) as actx:
        require_admin(actx)
        key = rotate_signing_key(actx.session, actx.secure_now(), grace=timedelta(minutes=grace))
        data = rotate_data_key(actx.session, command.paths, command.environ)  # every value sealed again, all or none
    finish_rotation(command.engine, command.paths, command.environ)  # committed: the old data key can go
    say(f"New signing key {key.kid}. Tokens signed with the previous key are accepted for {grace} more minutes.")
    say(f"New data key {data.current}: {data.values} stored values sealed again; the previous data key is deleted.")


def key_set(name: NameArg) -> None:
    """Store an API key, read from a hidden prompt or from stdin.

    Examples:

      paa auth key set anthropic

      pass show anthropic | paa auth key set anthropic
    """
    from paa.cli import runtime
    from paa.core.accounts.secrets import ENV_VARIABLES, check_name, set_secret

    key_name = check_name(name)
    from paa.core.accounts.auth import require_install_admin

    command = runtime.current()
    with command.auth() as actx:
        require_install_admin(actx)
    info = set_secret(command.paths, key_name, _read_key(), command.environ)
    where = "the OS keyring" if info.where == "keyring" else f"{info.detail} (readable only by you)"
    say(f"Stored the {key_name} key in {where}.")
    variable = ENV_VARIABLES.get(key_name)
    if variable and command.environ.get(variable):
        say(f"Note: {variable} is set in this shell and is used instead of the stored key.")


def key_list(as_json: JsonOpt = False) -> None:
    """List the API keys that are set and where each comes from (never the key itself)."""
    from paa.cli import runtime
    from paa.config import resolve_paths
    from paa.core.accounts.secrets import list_secrets

    environ = runtime.environ()
    found = list_secrets(resolve_paths(environ), environ)
    if as_json:
        emit_json([info.to_json() for info in found])
        return
    if not found:
        say("No API keys are set. Add one with `paa auth key set anthropic`.")
        return
    for info in found:
        where = {"env": "environment variable", "keyring": "OS keyring", "file": "file"}[info.where]
        say(f"{info.name}: {where} ({info.detail})")


def key_remove(
    name: NameArg,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Remove a stored API key from the keyring and the file."""
    from paa.cli import runtime
    from paa.core.accounts.secrets import check_name, delete_secret, stored_secret
    from paa.errors import NotFound

    key_name = check_name(name)
    from paa.core.accounts.auth import require_install_admin

    command = runtime.current()
    with command.auth() as actx:
        require_install_admin(actx)
    paths = command.paths
    if stored_secret(paths, key_name, command.environ) is None:
        raise NotFound(f"no {key_name} key is stored", hint="see `paa auth key list`")
    confirm(f"Remove the stored {key_name} key?", assume_yes=yes)
    removed = delete_secret(paths, key_name, command.environ)
    say(f"Removed the {key_name} key from {' and '.join(info.where for info in removed)}.")
