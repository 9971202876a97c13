"""Check-in: today's prompts, a mood (and energy) picker, the reflection, and the assistant's follow-up question."""

from __future__ import annotations

from datetime import date

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.markup import escape
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Static
from textual.worker import get_current_worker

from paa.errors import PaaError
from paa.tui.data import CheckinPage, answer_follow_up, load_checkin, save_checkin
from paa.tui.screens.base import PaaScreen
from paa.tui.widgets.keybar import KeyBar
from paa.tui.widgets.nav import NavBar
from paa.tui.widgets.scale import ENERGY_WORDS, MOOD_WORDS, ScalePicker


class CheckinScreen(PaaScreen):
    BINDINGS = [Binding("ctrl+s", "save", "Save")]  # noqa: RUF012

    class Loaded(Message):
        def __init__(self, page: CheckinPage) -> None:
            super().__init__()
            self.page = page

    class Saved(Message):
        def __init__(self, reflection: str | None, error: str = "", field: str = "") -> None:
            super().__init__()
            self.reflection = reflection
            self.error = error
            self.field = field

    class Insight(Message):
        def __init__(self, summary: str | None, follow_up: str | None) -> None:
            super().__init__()
            self.summary = summary
            self.follow_up = follow_up

    class Answered(Message):
        def __init__(self, error: str = "") -> None:
            super().__init__()
            self.error = error

    def __init__(self) -> None:
        super().__init__()
        self.page: CheckinPage | None = None
        self.prompts: list[str] = []
        self.follow_up: str | None = None
        self.busy = False

    def compose(self) -> ComposeResult:
        yield NavBar("checkin")
        with VerticalScroll(id="checkin-form"):
            yield Static("Loading…", id="checkin-head")
            yield Label("", id="error-", classes="field-error")
            yield Vertical(id="checkin-prompts")
            yield Label("Mood", classes="checkin-label")
            yield ScalePicker(MOOD_WORDS, id="mood")
            yield Label("", id="error-mood", classes="field-error")
            yield Label("Energy (optional; backspace clears)", classes="checkin-label")
            yield ScalePicker(ENERGY_WORDS, optional=True, id="energy")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save check-in (ctrl+s)", id="checkin-save", variant="primary", compact=True)
            yield Static("", id="checkin-result")
            yield Static("", id="checkin-follow-up")
            yield Input(placeholder="Your answer (enter to add it to today's check-in)", id="follow-up-answer")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#follow-up-answer", Input).display = False

    # ---- loading ------------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="checkin-load", exit_on_error=False)
    def load(self) -> None:
        try:
            with self.paa.store.read() as ctx:
                page = load_checkin(ctx)
        except Exception as exc:
            self.app.call_from_thread(self.notify, str(exc)[:200], title="Cannot read check-ins", severity="error")
            return
        if not get_current_worker().is_cancelled:
            self.post_message(self.Loaded(page))

    async def on_checkin_screen_loaded(self, message: Loaded) -> None:
        page = message.page
        self.page = page
        self.query_one(NavBar).set_note(page.day.strftime("%a %d %b %Y"))
        self.query_one("#checkin-head", Static).update(_head(page))
        if page.prompts != self.prompts:  # keep what is typed unless the prompts themselves changed
            self.prompts = page.prompts
            holder = self.query_one("#checkin-prompts", Vertical)
            await holder.remove_children()
            widgets: list[Widget] = []
            for number, prompt in enumerate(page.prompts):
                widgets.append(Label(escape(prompt), classes="checkin-label"))
                widgets.append(Input(placeholder="(leave empty to skip)", id=f"answer-{number}", compact=True))
            await holder.mount_all(widgets)
            if widgets and not self.busy:
                widgets[1].focus()

    # ---- saving -------------------------------------------------------------------------------------

    @on(Input.Submitted, "#checkin-prompts Input")
    def _next(self) -> None:
        self.focus_next()

    @on(Button.Pressed, "#checkin-save")
    def action_save(self) -> None:
        if self.page is None or self.busy:
            return
        texts: list[str | None] = [
            self.query_one(f"#answer-{n}", Input).value or None for n in range(len(self.prompts))
        ]
        mood = self.query_one("#mood", ScalePicker).value
        energy = self.query_one("#energy", ScalePicker).value
        self.busy = True
        self.save(self.page.day, list(self.prompts), texts, mood, energy)

    @work(thread=True, exclusive=True, group="checkin-save", exit_on_error=False)
    def save(
        self, day: date, prompts: list[str], texts: list[str | None], mood: int | None, energy: int | None
    ) -> None:
        try:
            with self.paa.store.write() as ctx:
                result = save_checkin(ctx, day, prompts, texts, mood, energy)
        except PaaError as exc:
            field = "mood" if "mood" in exc.message else ""
            self.post_message(self.Saved(None, exc.message, field))
            return
        self.paa.wrote()
        self.post_message(self.Saved(result.reflection.text))
        self.think(day)

    def on_checkin_screen_saved(self, message: Saved) -> None:
        self.busy = False
        for error in self.query(".field-error").results(Label):
            error.update("")
            error.remove_class("-shown")
        self.query_one("#mood", ScalePicker).remove_class("-invalid")
        if message.reflection is None:
            label = self.query_one(f"#error-{message.field}", Label)
            label.update(message.error)
            label.add_class("-shown")
            if message.field == "mood":
                picker = self.query_one("#mood", ScalePicker)
                picker.add_class("-invalid")
                picker.focus()
            return
        for answer in self.query("#checkin-prompts Input").results(Input):
            answer.value = ""
        self.query_one("#checkin-form", VerticalScroll).focus()  # keys are commands again (1-5 switch screens)
        self.query_one("#checkin-result", Static).update(f"[$success]Saved.[/] {escape(message.reflection)}")
        self.call_after_refresh(self.query_one("#checkin-form", VerticalScroll).scroll_end, animate=False)
        self.notify("Check-in saved.")

    @work(thread=True, exclusive=True, group="checkin-think", exit_on_error=False)
    def think(self, day: date) -> None:
        """With a model: refine the sentiment, keep a summary, and perhaps ask one follow-up question."""
        from paa.ai.checkin_ai import after_checkin

        try:
            provider = self.paa.store.provider()
            if not provider.online:
                return
            self.app.call_from_thread(self._thinking)
            insight = after_checkin(self.paa.store.contexts, provider, day)
        except Exception as exc:  # the check-in is saved; the model's reading is a bonus
            insight = None
            self.app.call_from_thread(self.notify, str(exc)[:200], title="The assistant could not read it")
        self.paa.wrote()
        self.post_message(self.Insight(insight.summary if insight else None, insight.follow_up if insight else None))

    def _thinking(self) -> None:
        self.query_one("#checkin-follow-up", Static).update("[$foreground-muted]The assistant is reading it…[/]")

    def on_checkin_screen_insight(self, message: Insight) -> None:
        lines = []
        if message.summary:
            lines.append(f"[$foreground-muted]Noted:[/] {escape(message.summary)}")
        if message.follow_up:
            lines.append(f"[$accent]{escape(message.follow_up)}[/]")
        self.follow_up = message.follow_up
        self.query_one("#checkin-follow-up", Static).update("\n".join(lines))
        answer = self.query_one("#follow-up-answer", Input)
        answer.display = bool(message.follow_up)
        if message.follow_up:
            answer.focus(scroll_visible=False)
        self.call_after_refresh(self.query_one("#checkin-form", VerticalScroll).scroll_end, animate=False)

    @on(Input.Submitted, "#follow-up-answer")
    def _answer(self, event: Input.Submitted) -> None:
        if self.page is None or not self.follow_up or not event.value.strip():
            return
        self.answer(self.page.day, self.follow_up, event.value)

    @work(thread=True, exclusive=True, group="checkin-answer", exit_on_error=False)
    def answer(self, day: date, question: str, text: str) -> None:
        try:
            with self.paa.store.write() as ctx:
                answer_follow_up(ctx, day, question, text)
        except PaaError as exc:
            self.post_message(self.Answered(exc.message))
            return
        self.paa.wrote()
        self.post_message(self.Answered())

    def on_checkin_screen_answered(self, message: Answered) -> None:
        if message.error:
            self.notify(message.error, severity="warning")
            return
        answer = self.query_one("#follow-up-answer", Input)
        answer.value = ""
        answer.display = False
        self.follow_up = None
        self.query_one("#checkin-follow-up", Static).update("[$success]Added to today's check-in.[/]")


def _head(page: CheckinPage) -> str:
    title = f"[b]Check-in[/b] for {page.day.strftime('%A %d %B')}"
    existing = page.existing
    if existing is None:
        return f"{title}\nAnswer what you like, pick a mood, then save."
    mood = f"mood {existing.mood}/5" if existing.mood else "no mood"
    answered = len(existing.answers)
    return (
        f"{title}\n[$success]✓[/] Checked in today ({mood}, {answered} answer{'s' if answered != 1 else ''}). "
        "Anything you add below is appended; a mood replaces the one saved."
    )
