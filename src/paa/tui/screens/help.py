"""The help screen: every key, screen by screen."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

HELP = """\
[b]paa[/b]: habits, check-ins, analytics and chat, with the keyboard alone or with the mouse.

[b]Everywhere[/b]
  [$accent]1[/]-[$accent]5[/]      Home, Chat, Habits, Check-in, Analytics (or click the tabs at the top)
  [$accent]ctrl+p[/]   command palette: every action, "Log <habit>", themes
  [$accent]?[/] / [$accent]f1[/]   this help          [$accent]q[/]  quit          [$accent]tab[/]  next field
  In a text field, keys type: press [$accent]esc[/] or [$accent]tab[/] to leave it first.

[b]Home[/b]
  [$accent]↑ ↓[/]      choose a habit          [$accent]enter[/]  open it (calendar, history, figures)
  [$accent]space[/]    mark done (a measured habit asks for the amount)
  [$accent]v[/] amount  [$accent]s[/] skip  [$accent]u[/] undo today  [$accent]i[/] check in
  [$accent]n[/] new habit  [$accent]r[/] refresh

[b]Chat[/b]
  [$accent]enter[/] send   [$accent]esc[/] leave the message box; [$accent]esc[/] again stops a reply
  [$accent]ctrl+n[/] new conversation
  [$accent]ctrl+f[/] search past conversations   [$accent]ctrl+b[/] show/hide the list of conversations
  A destructive request (delete, forget) asks first in a dialog: [$accent]y[/] yes, [$accent]n[/] no.

[b]Habits[/b]
  [$accent]/[/] filter  [$accent]a[/] show active/archived/all  [$accent]enter[/] open
  [$accent]n[/] new  [$accent]e[/] edit  [$accent]x[/] archive or restore  [$accent]delete[/] delete (asks first)
  In the form: [$accent]ctrl+s[/] save, [$accent]esc[/] cancel; a mistake is shown under its field.

[b]Check-in[/b]
  Answer the prompts, pick a mood ([$accent]←/→[/] or [$accent]1[/]-[$accent]5[/] on the picker),
  then [$accent]ctrl+s[/] to save.

[b]Analytics[/b]
  [$accent]p[/] next period (7d, 30d, 90d, 365d, all)   [$accent]h[/] next habit (or all habits)

The screens refresh by themselves when anything changes the database: another terminal, the reminder daemon,
or the assistant. Press [$accent]esc[/] to close this help.
"""


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark,f1", "dismiss", "Close")]  # noqa: RUF012

    def __init__(self) -> None:
        super().__init__(classes="dialog-screen")

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help", classes="dialog"):
            yield Static(HELP)

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.dismiss(None)
