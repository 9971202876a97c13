"""The habits screens: the filtered list, the form with messages in place, one habit's page, archive and delete."""

from __future__ import annotations

from sqlmodel import select

from paa.db.models import Habit
from tests.support.tui import drive, paste, screen_text, shown, wait_for


async def _habits(pilot) -> None:
    from textual.widgets import DataTable

    await wait_for(pilot, lambda: pilot.app.ready_at, what="the dashboard")
    await pilot.press("3")
    await wait_for(pilot, lambda: pilot.app.screen.query("#habits-table") and _names(pilot.app), what="the list")
    pilot.app.screen.query_one("#habits-table", DataTable).focus()


def _names(app) -> list[str]:
    from textual.widgets import DataTable

    table = app.screen.query_one("#habits-table", DataTable)
    return [table.get_row(key)[1].plain for key in table.rows]


def _habit(make_ctx, name: str) -> Habit | None:
    with make_ctx() as ctx:
        return ctx.session.exec(select(Habit).where(Habit.name == name)).first()


def _reminder_days(make_ctx, name: str) -> list[str]:
    """The habit's reminder days as core reports them (empty: the days it is due)."""
    from paa.core.habits.manage import resolve_habit
    from paa.core.habits.overview import habit_json

    with make_ctx() as ctx:
        return habit_json(resolve_habit(ctx, name))["reminder_days"]


def _error(app, field: str) -> str:
    from textual.widgets import Label

    label = app.screen.query_one(f"#error-{field}", Label)
    return str(label.render()) if label.has_class("-shown") else ""


async def _type(pilot, field: str, text: str) -> None:
    from textual.widgets import Input

    pilot.app.screen.query_one(f"#field-{field}", Input).value = ""
    await paste(pilot, f"#field-{field}", text)


async def _new_form(pilot, **fields: str) -> None:
    """From the habit list, open the form for a new habit and type `fields` (by field name) into it."""
    from paa.tui.screens.habit_form import HabitFormScreen

    await _habits(pilot)
    await pilot.press("n")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, HabitFormScreen), what="the form")
    for field, text in fields.items():
        await _type(pilot, field, text)


def test_the_list_filters_by_name_or_category_and_shows_archived_on_request(seeded, make_app) -> None:
    app = make_app()

    async def scenario(pilot) -> None:
        await _habits(pilot)
        assert _names(app) == ["Drink water", "Run", "Meditate", "Read", "Coffee", "Stretch"]
        await pilot.press("slash", *"mind")
        await wait_for(pilot, lambda: _names(app) == ["Meditate", "Read"], what="the category filter")
        await pilot.press("escape", "a")  # archived only
        await wait_for(pilot, lambda: _names(app) == [], what="no archived habit about the mind")
        await pilot.press("slash", "ctrl+a", "ctrl+k", "escape")
        await wait_for(pilot, lambda: _names(app) == ["Journal (archived)"], what="the archived habit")
        await pilot.press("a")  # all
        await wait_for(pilot, lambda: len(_names(app)) == 7, what="every habit")
        assert "7 of 7 habits" in screen_text(app)

    drive(app, scenario)


def test_the_columns_fit_their_cells_as_soon_as_the_rows_are_drawn(seeded, make_app) -> None:
    """Not only once the table's message queue runs dry (which a busy machine was seen to put off): the list is drawn
    with every name whole at once."""
    from textual.widgets import DataTable

    app = make_app()

    async def scenario(pilot) -> None:
        await _habits(pilot)
        screen = pilot.app.screen
        table = screen.query_one("#habits-table", DataTable)
        screen.render_rows()  # drawn again, and measured before anything else runs
        widths = {
            str(column.label): column.get_render_width(table) - 2 * table.cell_padding
            for column in table.columns.values()
        }
        assert widths["Habit"] == len("Drink water")
        assert widths["Schedule"] >= len("every day")

    drive(app, scenario)


def test_an_invalid_form_shows_each_message_under_its_field_and_saves_nothing(seeded, make_app, make_ctx) -> None:
    app = make_app()

    async def scenario(pilot) -> None:
        from textual.widgets import Select

        from paa.tui.screens.habit_form import HabitFormScreen

        await _habits(pilot)
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, HabitFormScreen), what="the form")
        await _type(pilot, "name", "Run")  # taken
        await _type(pilot, "unit", "km")
        await _type(pilot, "target", "lots")
        app.screen.query_one("#field-schedule", Select).value = "x_per_y"
        await pilot.pause()
        await _type(pilot, "times", "9")
        await _type(pilot, "per", "7")
        await _type(pilot, "remind", "25:00")
        await _type(pilot, "color", "plaid")
        await pilot.press("ctrl+s")

        def error(field: str) -> str:
            return _error(app, field)

        await wait_for(pilot, lambda: error("target"), what="the messages")
        assert error("target") == "target must be a number (got 'lots')"
        assert error("times") == "times must be between 1 and per (7) (got 9)"
        assert error("remind").startswith("reminder time '25:00'")
        assert error("color") == "unknown colour 'plaid'"
        assert app.focused is app.screen.query_one("#field-target")  # the first field with a mistake
        assert "-invalid" in app.screen.query_one("#field-target").classes
        assert error("name") == ""  # a clash with another habit is found when saving
        await _type(pilot, "target", "5")
        await _type(pilot, "times", "3")
        await _type(pilot, "remind", "07:00")
        await _type(pilot, "color", "green")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: error("name"), what="the name clash")
        assert error("name") == "a habit named 'Run' already exists"
        assert error("target") == error("times") == error("remind") == error("color") == ""
        assert isinstance(app.screen, HabitFormScreen)

    drive(app, scenario)
    assert _habit(make_ctx, "Run").kind == "boolean"  # the existing habit is untouched


def test_a_valid_form_adds_the_habit_and_the_list_shows_it(seeded, make_app, make_ctx) -> None:
    app = make_app()

    async def scenario(pilot) -> None:
        from textual.widgets import Select

        from paa.tui.screens.habit_form import HabitFormScreen

        await _habits(pilot)
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, HabitFormScreen), what="the form")
        await _type(pilot, "name", "Swim")
        app.screen.query_one("#field-schedule", Select).value = "weekdays"
        await pilot.pause()
        await _type(pilot, "days", "sat,sun")
        await _type(pilot, "category", "health")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "Swim" in _names(app), what="the new habit in the list")
        assert shown(app, "Added Swim.")

    drive(app, scenario)
    swim = _habit(make_ctx, "Swim")
    assert swim is not None and swim.schedule_type == "weekdays" and swim.category == "health"


def test_editing_fills_the_form_and_saves_the_change(seeded, make_app, make_ctx) -> None:
    app = make_app()

    async def scenario(pilot) -> None:
        from textual.widgets import Input

        from paa.tui.screens.habit_form import HabitFormScreen

        await _habits(pilot)
        await pilot.press("e")  # the first habit: Drink water
        await wait_for(pilot, lambda: isinstance(app.screen, HabitFormScreen), what="the form")
        target = app.screen.query_one("#field-target", Input)
        await wait_for(pilot, lambda: target.value == "8", what="the stored values")
        assert app.screen.query_one("#field-unit", Input).value == "glasses"
        assert app.screen.query_one("#field-remind", Input).value == "09:00"
        await _type(pilot, "target", "10")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not isinstance(app.screen, HabitFormScreen), what="the form to close")

    drive(app, scenario)
    assert _habit(make_ctx, "Drink water").target == 10


def test_reminder_days_typed_in_the_form_are_stored(seeded, make_app, make_ctx) -> None:
    app = make_app()

    async def scenario(pilot) -> None:
        await _new_form(pilot, name="Swim", remind="07:30", remind_days="mon, wed,fri")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "Swim" in _names(app), what="the new habit in the list")

    drive(app, scenario)
    assert _reminder_days(make_ctx, "Swim") == ["mon", "wed", "fri"]
    assert _habit(make_ctx, "Swim").reminder_times == "07:30"


def test_invalid_reminder_days_show_a_message_under_the_field_and_save_nothing(seeded, make_app, make_ctx) -> None:
    app = make_app()

    async def scenario(pilot) -> None:
        from paa.tui.screens.habit_form import HabitFormScreen

        await _new_form(pilot, name="Swim", remind="07:30", remind_days="mon,funday")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: _error(app, "remind_days"), what="the message")
        assert _error(app, "remind_days") == "unknown day 'funday'"
        assert _error(app, "remind") == _error(app, "name") == ""
        field = app.screen.query_one("#field-remind_days")
        assert app.focused is field and "-invalid" in field.classes
        assert isinstance(app.screen, HabitFormScreen)

    drive(app, scenario)
    assert _habit(make_ctx, "Swim") is None


def test_editing_shows_the_stored_reminder_days_and_clearing_them_means_the_due_days(
    seeded, make_app, make_ctx
) -> None:
    from paa.core.habits.manage import HabitFields, edit_habit, resolve_habit

    with make_ctx(write=True) as ctx:
        edit_habit(ctx, resolve_habit(ctx, "Run"), HabitFields(remind_days="fri,mon"))
    app = make_app()

    async def scenario(pilot) -> None:
        from textual.widgets import Input

        from paa.tui.screens.habit_form import HabitFormScreen

        await _habits(pilot)
        await pilot.press("down", "e")  # Run
        await wait_for(pilot, lambda: isinstance(app.screen, HabitFormScreen), what="the form")
        days = app.screen.query_one("#field-remind_days", Input)
        await wait_for(pilot, lambda: days.value == "mon,fri", what="the stored days")
        await _type(pilot, "remind_days", "")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not isinstance(app.screen, HabitFormScreen), what="the form to close")

    drive(app, scenario)
    assert _reminder_days(make_ctx, "Run") == []  # reminded on the days it is due: mon, wed, fri


def test_the_habit_page_shows_heatmap_figures_and_history_and_deletes_after_asking(seeded, make_app, make_ctx) -> None:
    app = make_app()

    async def scenario(pilot) -> None:
        from paa.tui.screens.habit_detail import HabitDetailScreen
        from paa.tui.screens.modals import ConfirmScreen

        await _habits(pilot)
        await pilot.press("down", "down", "down", "down", "enter")  # Coffee
        await wait_for(pilot, lambda: isinstance(app.screen, HabitDetailScreen), what="the habit page")
        await wait_for(pilot, lambda: "Calendar" in screen_text(app), what="the page's data")
        text = screen_text(app)
        assert "Coffee #5" in text and "at most 2 cups" in text
        assert "Strength" in text and "Completion" in text
        assert "less ·░▒▓█ more" in text
        await pilot.press("delete")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the question")
        assert shown(app, "Delete Coffee and all its logs?")
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, HabitDetailScreen), what="back on the page")
        assert _habit(make_ctx, "Coffee") is not None
        await pilot.press("delete")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the question again")
        await pilot.press("y")
        await wait_for(pilot, lambda: "Coffee" not in _names(app) if app.screen.query("#habits-table") else False,
                       what="the list without Coffee")  # fmt: skip

    drive(app, scenario)
    assert _habit(make_ctx, "Coffee") is None


def test_archiving_hides_a_habit_from_the_list_and_the_dashboard(seeded, make_app, make_ctx) -> None:
    app = make_app()

    async def scenario(pilot) -> None:
        from paa.tui.screens.modals import ConfirmScreen

        await _habits(pilot)
        await pilot.press("down", "x")  # Run
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the question")
        assert app.screen.question.startswith("Archive Run? It leaves your lists and reminders; its history is kept")
        await pilot.press("y")
        await wait_for(pilot, lambda: "Run" not in _names(app), what="Run archived")
        await pilot.press("1")
        await wait_for(pilot, lambda: "Today, Thursday" in screen_text(app), what="the dashboard")
        await wait_for(pilot, lambda: " Run " not in screen_text(app), what="Run gone from the dashboard")

    drive(app, scenario)
    assert _habit(make_ctx, "Run").archived
