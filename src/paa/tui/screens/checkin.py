"""Check-in: any day's prompts (today's by default), a mood (and energy) picker, the reflection, and the assistant's
follow-up question.

A day without a check-in shows an empty form to fill in; a day with one shows its answers, mood and energy, and
saving replaces them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Static
from textual.worker import get_current_worker

from paa.errors import PaaError, error_text
from paa.tui.data import CheckinPage, load_checkin, save_checkin
from paa.tui.markup import literal
from paa.tui.screens.base import PaaScreen
from paa.tui.widgets.keybar import KeyBar
from paa.tui.widgets.nav import NavBar
from paa.tui.widgets.scale import ENERGY_WORDS, MOOD_WORDS, ScalePicker

FormValues = tuple[tuple[str, ...], int | None, int | None]  # the answers' texts, mood, energy
DAY_FORMS = "yesterday, -3, a weekday or YYYY-MM-DD"


class CheckinScreen(PaaScreen):
    BINDINGS = [  # noqa: RUF012
        Binding("ctrl+s", "save", "Save", tooltip="save the day's check-in (a stored one is replaced)"),
        Binding("left_square_bracket", "step(-1)", "Prev day", tooltip="the day before: fill in or change it"),
        Binding("right_square_bracket", "step(1)", "Next day", tooltip="the day after (never past today)"),
        Binding("t", "today", "Today", tooltip="back to today's check-in"),
        Binding("d", "choose_day", "Day…", tooltip="type the day (yesterday, -3, friday, 2026-11-20), then enter"),
        Binding("enter", "type", "Type", tooltip="type in the first answer (or the answer to a follow-up question)"),
        Binding("escape", "leave_field", "Leave the field", show=False, tooltip="leave a text field, so keys work"),
    ]

    class Loaded(Message):
        def __init__(self, page: CheckinPage) -> None:
            super().__init__()
            self.page = page

    class DayRefused(Message):
        def __init__(self, error: str) -> None:
            super().__init__()
            self.error = error

    class Saved(Message):
        def __init__(self, reflection: str | None, error: str = "", field: str = "") -> None:
            super().__init__()
            self.reflection = reflection
            self.error = error
            self.field = field

    class Insight(Message):
        def __init__(self, day: date, summary: str | None, follow_up: str | None) -> None:
            super().__init__()
            self.day = day  # the check-in it is about: the person may have moved to another day since
            self.summary = summary
            self.follow_up = follow_up

    class Answered(Message):
        def __init__(self, error: str = "") -> None:
            super().__init__()
            self.error = error

    def __init__(self) -> None:
        super().__init__()
        self.page: CheckinPage | None = None
        self.day: date | None = None  # the chosen day; None follows today, past midnight too
        self.prompts: list[str] = []
        self.filled: FormValues | None = None  # what the form was filled with; None: refill it at the next load
        self.follow_up: str | None = None
        self.follow_up_day: date | None = None  # the day the follow-up question is about
        self.busy = False

    def compose(self) -> ComposeResult:
        yield NavBar("checkin")
        with VerticalScroll(id="checkin-form"):
            yield Static("Loading…", id="checkin-head")
            yield Label(f"Day: \\[ and ] step a day, or type {DAY_FORMS}", classes="checkin-label")
            yield Input(placeholder=DAY_FORMS, id="checkin-day", compact=True)
            yield Label("", id="error-day", classes="field-error")
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
        for hidden in self.query("#checkin-result, #checkin-follow-up, #follow-up-answer"):
            hidden.display = False

    # ---- choosing the day ---------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "step" and parameters == (1,) and (self.page is None or self.page.day >= self.page.today):
            return None  # shown, but greyed: there is no check-in after today
        return True

    def action_step(self, days: int) -> None:
        if self.page is None or self.busy:
            return
        today = self.page.today
        try:
            wanted = (self.day or today) + timedelta(days=days)  # self.day, not the page: steps pile up while loading
        except OverflowError:  # before the year 1
            return
        if wanted > today:
            return
        self._leave_day(lambda: self._show_day(None if wanted == today else wanted))

    def action_today(self) -> None:
        if not self.busy:
            self._leave_day(lambda: self._show_day(None))

    def _show_day(self, day: date | None) -> None:
        self.day = day
        self.load()

    def _leave_day(self, go: Callable[[], object]) -> None:
        """Go to another day, asking first when the form holds answers not yet saved."""
        if self.filled is None or self.page is None or self._values() == self.filled:
            go()
            return
        from paa.tui.screens.modals import ConfirmScreen

        question = f"Leave {self.page.day:%A %d %B} without saving what you typed?"

        def answered(leave: bool | None) -> None:
            if leave:
                go()

        self.app.push_screen(ConfirmScreen(question, yes="Leave", no="Stay"), answered)

    def action_choose_day(self) -> None:
        self.query_one("#checkin-day", Input).focus()  # its text is selected, so typing replaces it

    def action_type(self) -> None:
        """enter, when no field has the cursor: the assistant's waiting question, else the first answer."""
        follow_up = self.query_one("#follow-up-answer", Input)
        if follow_up.display:
            follow_up.focus(scroll_visible=False)
        elif self.prompts:
            self.query_one("#answer-0", Input).focus()

    def action_leave_field(self) -> None:
        day = self.query_one("#checkin-day", Input)
        if day.has_focus and self.page is not None:  # what was typed there is dropped, with its refusal
            day.value = self.page.day.isoformat()
            self._show_error("day", "")
        self.query_one("#checkin-form", VerticalScroll).focus()  # keys are commands again ([ ] t d, 1-5)

    @on(Input.Submitted, "#checkin-day")
    def _day_typed(self, event: Input.Submitted) -> None:
        if not self.busy:
            self.query_one("#checkin-form", VerticalScroll).focus()
            self._leave_day(lambda: self.load(event.value))

    def _show_error(self, field: str, text: str) -> None:
        label = self.query_one(f"#error-{field}", Label)
        label.update(literal(text))
        label.set_class(bool(text), "-shown")

    def on_checkin_screen_day_refused(self, message: DayRefused) -> None:
        self._show_error("day", message.error)
        self.query_one("#checkin-day", Input).focus()

    # ---- loading ------------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="checkin-load", exit_on_error=False)
    def load(self, day: str | None = None) -> None:
        """Read the check-in of `day` (a day as typed; by default the day shown, or today)."""
        wanted = day or (self.day.isoformat() if self.day else "today")
        try:
            with self.paa.store.read() as ctx:
                page = load_checkin(ctx, wanted)
        except PaaError as exc:  # an unreadable or future day, as typed
            self.post_message(self.DayRefused(f"{exc.message}; {exc.hint}" if exc.hint else exc.message))
            return
        except Exception as exc:
            self.app.call_from_thread(self.notify, error_text(exc), title="Cannot read check-ins", severity="error")
            return
        if not get_current_worker().is_cancelled:
            self.post_message(self.Loaded(page))

    async def on_checkin_screen_loaded(self, message: Loaded) -> None:
        page = message.page
        new_day = self.page is None or page.day != self.page.day
        first = self.page is None
        self.page = page
        self.day = None if page.day == page.today else page.day
        self.query_one(NavBar).set_note(page.day.strftime("%a %d %b %Y"))
        self.query_one("#checkin-head", Static).update(_head(page))
        self._show_error("day", "")
        self.refresh_bindings()
        if new_day:
            self._clear_results()
        # Keep what the person has typed when the day's data changes under it (a save elsewhere, say).
        if new_day or self.filled is None or self._values() == self.filled:
            await self._fill(page)
            if any(note.display for note in self.query("#checkin-result, #checkin-follow-up")):
                self._scroll_end()  # the form may have grown (a follow-up answer): keep the note in view
        day_field = self.query_one("#checkin-day", Input)
        if first and not day_field.has_focus:  # the palette may have sent us to the day field
            # Keys are commands (1-5 switch screens, as everywhere) until enter or d puts the cursor in a field.
            self.query_one("#checkin-form", VerticalScroll).focus()

    async def _fill(self, page: CheckinPage) -> None:
        """Put the day's stored answers, mood and energy in the form, or empty it for a day without a check-in."""
        holder = self.query_one("#checkin-prompts", Vertical)
        if page.prompts != self.prompts:
            had_focus = self.focused is not None and holder in self.focused.ancestors
            self.prompts = page.prompts
            await holder.remove_children()
            widgets: list[Widget] = []
            for number, prompt in enumerate(page.prompts):
                widgets.append(Label(literal(prompt), classes="checkin-label"))
                widgets.append(Input(placeholder="(leave empty to skip)", id=f"answer-{number}", compact=True))
            await holder.mount_all(widgets)
            if had_focus:
                self.action_leave_field()
        existing = page.existing
        texts = [answer.answer for answer in existing.answers] if existing else []
        for number, answer in enumerate(self._answer_inputs()):
            answer.value = texts[number] if number < len(texts) else ""
        self.query_one("#mood", ScalePicker).value = existing.mood if existing else None
        self.query_one("#energy", ScalePicker).value = existing.energy if existing else None
        day_field = self.query_one("#checkin-day", Input)
        if not day_field.has_focus:
            day_field.value = page.day.isoformat()
        elif not day_field.value:  # the person was sent there (the palette) before the day was read: keep it typeable
            day_field.value = page.day.isoformat()
            day_field.select_all()
        self.filled = self._values()

    def _answer_inputs(self) -> list[Input]:
        return [self.query_one(f"#answer-{n}", Input) for n in range(len(self.prompts))]

    def _values(self) -> FormValues:
        texts = tuple(answer.value for answer in self._answer_inputs())
        return texts, self.query_one("#mood", ScalePicker).value, self.query_one("#energy", ScalePicker).value

    def _note(self, note_id: str, text: str) -> None:
        """Show a line under the form; hidden while empty, so its margin does not push the form off the screen."""
        note = self.query_one(f"#{note_id}", Static)
        note.update(text)
        note.display = bool(text)

    def _scroll_end(self) -> None:
        self.call_after_refresh(self.query_one("#checkin-form", VerticalScroll).scroll_end, animate=False)

    def _clear_results(self) -> None:
        """Forget what belonged to the day shown before: messages, the saved note, the follow-up question."""
        for field in ("", "mood"):
            self._show_error(field, "")
        self.query_one("#mood", ScalePicker).remove_class("-invalid")
        self._note("checkin-result", "")
        self._note("checkin-follow-up", "")
        self.query_one("#follow-up-answer", Input).display = False
        self.follow_up = None

    # ---- saving -------------------------------------------------------------------------------------

    @on(Input.Submitted, "#checkin-prompts Input")
    def _next(self) -> None:
        self.focus_next()

    @on(Button.Pressed, "#checkin-save")
    def action_save(self) -> None:
        if self.page is None or self.busy:
            return
        texts: list[str | None] = [answer.value or None for answer in self._answer_inputs()]
        mood = self.query_one("#mood", ScalePicker).value
        energy = self.query_one("#energy", ScalePicker).value
        self.busy = True
        self.save(self.page.day, list(self.prompts), texts, mood, energy)

    @work(thread=True, exclusive=True, group="checkin-save", exit_on_error=False)
    def save(
        self,
        day: date,
        prompts: list[str],
        texts: list[str | None],
        mood: int | None,
        energy: int | None,
    ) -> None:
        try:
            with self.paa.store.write() as ctx:
                result = save_checkin(ctx, day, prompts, texts, mood, energy)
        except PaaError as exc:
            field = "mood" if "mood" in exc.message else ""
            self.post_message(self.Saved(None, exc.message, field))
            return
        except Exception as exc:  # the database busy elsewhere, say: the answers stay in the form to save again
            self.post_message(self.Saved(None, f"Not saved: {error_text(exc)}"))
            return
        self.post_message(self.Saved(result.reflection.text))  # before the reload that `wrote` starts
        self.paa.wrote()
        self.think(day)  # a past day gets the model's reading and summary too; the follow-up question is today's

    def on_checkin_screen_saved(self, message: Saved) -> None:
        self.busy = False
        self._show_error("", "")
        self._show_error("mood", "")
        self.query_one("#mood", ScalePicker).remove_class("-invalid")
        if message.reflection is None:
            self._show_error(message.field, message.error)
            if message.field == "mood":
                picker = self.query_one("#mood", ScalePicker)
                picker.add_class("-invalid")
                picker.focus()
            return
        self.filled = None  # the reload now under way shows what was stored
        self.action_leave_field()
        self._note("checkin-result", f"[$success]Saved.[/] {literal(message.reflection)}")
        self._scroll_end()
        self.notify("Check-in saved.")

    @work(thread=True, exclusive=True, group="checkin-think", exit_on_error=False)
    def think(self, day: date) -> None:
        """With a model: refine the sentiment, keep a summary, and perhaps ask one follow-up question."""
        from paa.ai.checkin_ai import after_checkin

        try:
            provider = self.paa.store.provider()
            if not provider.online:
                return
            self.app.call_from_thread(self._thinking, day)
            insight = after_checkin(self.paa.store.contexts, provider, day)
        except Exception as exc:  # the check-in is saved; the model's reading is a bonus
            insight = None
            self.app.call_from_thread(self.notify, error_text(exc), title="The assistant could not read it")
        self.paa.wrote()
        summary, follow_up = (insight.summary, insight.follow_up) if insight else (None, None)
        self.post_message(self.Insight(day, summary, follow_up))

    def _shows(self, day: date) -> bool:
        return self.page is not None and self.page.day == day

    def _thinking(self, day: date) -> None:
        if self._shows(day):
            self._note("checkin-follow-up", "[$foreground-muted]The assistant is reading it…[/]")

    def on_checkin_screen_insight(self, message: Insight) -> None:
        if not self._shows(message.day):
            return  # the person went to another day meanwhile: the summary is stored, the question would mislead
        lines = []
        if message.summary:
            lines.append(f"[$foreground-muted]Noted:[/] {literal(message.summary)}")
        if message.follow_up:
            lines.append(f"[$accent]{literal(message.follow_up)}[/]")
        self.follow_up = message.follow_up
        self.follow_up_day = message.day
        self._note("checkin-follow-up", "\n".join(lines))
        # Not focused: it arrives while the person may be pressing keys; enter goes to it (action_type).
        self.query_one("#follow-up-answer", Input).display = bool(message.follow_up)
        self._scroll_end()

    @on(Input.Submitted, "#follow-up-answer")
    def _answer(self, event: Input.Submitted) -> None:
        if not self.follow_up or not self.follow_up_day or not event.value.strip():
            return
        self.answer(self.follow_up_day, self.follow_up, event.value)

    @work(thread=True, exclusive=True, group="checkin-answer", exit_on_error=False)
    def answer(self, day: date, question: str, text: str) -> None:
        from paa.ai.checkins import answer_follow_up

        try:
            with self.paa.store.write() as ctx:
                answer_follow_up(ctx, day, question, text)
        except Exception as exc:  # a refusal, or a database busy elsewhere: say it, keep the answer typed
            self.post_message(self.Answered(error_text(exc)))
            return
        self.post_message(self.Answered())  # before the reload that `wrote` starts, which shows the answer above
        self.paa.wrote()

    def on_checkin_screen_answered(self, message: Answered) -> None:
        if message.error:
            self.notify(message.error, severity="warning")
            return
        self.action_leave_field()  # else hiding the focused field sends the focus, and the view, to the top
        answer = self.query_one("#follow-up-answer", Input)
        answer.value = ""
        answer.display = False
        self.follow_up = None
        self._note("checkin-follow-up", "[$success]Added to today's check-in.[/]")


def _ago(page: CheckinPage) -> str:
    days = (page.today - page.day).days
    return "today" if days == 0 else "yesterday" if days == 1 else f"{days} days ago"


def _head(page: CheckinPage) -> str:
    title = f"[b]Check-in[/b] for {page.day.strftime('%A %d %B %Y')} [$foreground-muted]({_ago(page)})[/]"
    existing = page.existing
    if existing is None:
        start = "Answer what you like" if page.day == page.today else "No check-in that day yet: fill it in"
        return f"{title}\n{start}, pick a mood, then save."
    mood = f"mood {existing.mood}/5" if existing.mood else "no mood"
    energy = f", energy {existing.energy}/5" if existing.energy else ""
    answered = len(existing.answers)
    return (
        f"{title}\n[$success]✓[/] Checked in ({mood}{energy}, {answered} answer{'s' if answered != 1 else ''}). "
        "Change anything below and save to replace it."
    )
