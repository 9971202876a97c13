// Habits (#/habits): every habit, archived ones too; add one, edit it (its reminders included), archive or bring it
// back, delete it after a confirmation. Each links to its analytics (#/habit/<id>).

import { get, json } from "./api.js";
import { field, h, show } from "./dom.js";
import { confirmAction, failureText, statusLine } from "./ui.js";

// A habit's colour as a small square beside its name (set through the CSSOM: the page's policy allows no inline
// style attribute); the colour is also said in words in its facts.
function swatch(color) {
  const square = h("span", { class: "swatch", "aria-hidden": "true" });
  square.style.backgroundColor = color;
  return square;
}

// The form's inputs, named as the API's habit fields (docs/api.md, PATCH /habits/{id}).
function habitForm(habit, submitLabel, onSubmit, onCancel) {
  const input = (name, attrs = {}) => h("input", { name, autocomplete: "off", ...attrs });
  const name = input("name", { required: true, maxlength: 200, value: habit?.name ?? "" });
  const description = input("description", { maxlength: 2000, value: habit?.description ?? "" });
  const category = input("category", { maxlength: 100, value: habit?.category ?? "" });
  const unit = input("unit", { maxlength: 100, value: habit?.unit ?? "" });
  const color = input("color", { maxlength: 20, value: habit?.color ?? "" });
  const target = input("target", { type: "number", step: "any", min: "0", inputmode: "decimal",
    value: habit?.target ?? "" });
  const atMost = input("at_most", { type: "checkbox", checked: habit?.target_type === "at_most" });
  const schedule = habit?.schedule;
  const days = input("days", { maxlength: 100, value: schedule?.type === "weekdays" ? schedule.weekdays.join(",") : "" });
  const xPerY = schedule?.type === "x_per_y";
  const times = input("times", { type: "number", min: "1", step: "1", inputmode: "numeric",
    value: xPerY ? schedule.times : "" });
  const per = input("per", { type: "number", min: "1", step: "1", inputmode: "numeric",
    value: xPerY ? schedule.period_days : "" });
  const remind = input("remind", { maxlength: 200, value: (habit?.reminders || []).join(",") });
  const remindDays = input("remind_days", { maxlength: 100, value: (habit?.reminder_days || []).join(",") });
  const error = h("p", { class: "error", role: "alert" });
  const submit = h("button", { type: "submit" }, submitLabel);
  const form = h("form", { class: "card habit-form" },
    field("Name", name),
    field("Description", description),
    h("div", { class: "row" }, field("Category", category), field("Unit (for an amount)", unit, "e.g. glasses")),
    field("Colour", color, "e.g. #22aa88 or teal; empty: none"),
    h("div", { class: "row" }, field("Target", target, "per day, e.g. 8"),
      h("div", { class: "field check" }, h("label", {}, atMost, " The target is a limit (at most)"))),
    field("Days", days, "empty: every day; or e.g. mon,wed,fri"),
    h("div", { class: "row" }, field("Times", times, "for e.g. 3 times…"), field("In days", per, "…in 7 days")),
    h("fieldset", { class: "reminders" }, h("legend", {}, "Reminders"),
      field("Times of day", remind, "e.g. 09:00,18:00; empty: none"),
      field("Reminder days", remindDays, "empty: the days it is due; or e.g. mon-fri")),
    error, h("div", { class: "actions" }, submit,
      onCancel ? h("button", { type: "button", onclick: onCancel }, "Cancel") : null));
  form.addEventListener("submit", async (submitted) => {
    submitted.preventDefault();
    error.textContent = "";
    const text = (control) => control.value.trim() || null;
    const whole = (control) => (control.value === "" ? null : Number(control.value));
    const body = {
      name: name.value.trim(), description: text(description), category: text(category), unit: text(unit),
      color: text(color),
      target: target.value === "" ? null : Number(target.value), at_most: atMost.checked,
      days: text(days), times: whole(times), per: whole(per),
      remind: remind.value.trim(), remind_days: remindDays.value.trim(),
    };
    if (!habit) {
      // A new habit: only what was filled in (the API's defaults for the rest).
      for (const key of Object.keys(body)) if (body[key] === null || body[key] === "") delete body[key];
      if (!body.at_most) delete body.at_most;
    }
    submit.disabled = true;
    try {
      await onSubmit(body);
    } catch (failure) {
      error.textContent = failureText(failure);
      const wrong = failure?.problem?.field && form.querySelector(`[name="${CSS.escape(failure.problem.field)}"]`);
      wrong?.focus();
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

export class HabitsPage {
  constructor(main) {
    this.main = main;
    this.status = statusLine();
    this.list = h("div", { class: "habits" });
    this.editing = null; // the id of the habit whose form is open: a live update leaves it alone
  }

  async enter() {
    document.title = "Habits · paa";
    const adder = h("details", { class: "add-habit" }, h("summary", {}, "Add a habit"));
    adder.append(habitForm(null, "Add habit", async (body) => {
      const added = await json("POST", "/habits", body);
      adder.querySelector("form").reset();
      adder.open = false;
      this.status.textContent = `Added ${added.name}.`;
      await this.reload();
    }));
    show(this.main, h("h1", {}, "Habits"), this.status, adder, this.list);
    await this.reload();
  }

  onEvent(event) {
    const areas = event.data?.areas || [];
    if ((event.type === "resync" || areas.includes("habits")) && this.editing === null) this.reload();
  }

  async reload() {
    try {
      const habits = await get("/habits?all=true");
      if (this.editing !== null) return; // a form opened while the list was on its way: it stays until closed
      this.render(habits);
    } catch (error) {
      this.status.textContent = failureText(error);
    }
  }

  render(habits) {
    const active = habits.filter((habit) => !habit.archived);
    const archived = habits.filter((habit) => habit.archived);
    show(this.list,
      habits.length ? null : h("p", {}, "No habits yet: add one above."),
      active.map((habit) => this.card(habit)),
      archived.length ? h("h2", { class: "aside" }, "Archived") : null,
      archived.map((habit) => this.card(habit)));
  }

  card(habit) {
    const title = h("h2", { id: `manage-${habit.id}-name` }, habit.color ? swatch(habit.color) : null, habit.name);
    const facts = [habit.schedule.text];
    if (habit.target !== null) {
      facts.push(`${habit.target_type === "at_most" ? "at most" : "target"} ${habit.target}${habit.unit ? ` ${habit.unit}` : ""}`);
    }
    if (habit.category) facts.push(habit.category);
    if (habit.color) facts.push(`colour ${habit.color}`);
    const reminders = habit.reminders.length
      ? `Reminders at ${habit.reminders.join(", ")}${habit.reminder_days.length ? ` on ${habit.reminder_days.join(", ")}` : ""}`
      : "No reminders";
    const card = h("article", { class: `habit${habit.archived ? " archived" : ""}`, "data-habit": habit.name,
      "aria-labelledby": title.id },
    h("div", { class: "head" }, title, habit.archived ? h("span", { class: "state" }, "archived") : null),
    habit.description ? h("p", {}, habit.description) : null,
    h("p", { class: "facts" }, facts.join(" · ")),
    h("p", { class: "facts" }, reminders));
    const actions = h("div", { class: "actions" },
      h("a", { class: "button", href: `#/habit/${habit.id}`, "aria-label": `Analytics of ${habit.name}` }, "Analytics"),
      h("button", { type: "button", "aria-label": `Edit ${habit.name}`, onclick: () => this.edit(card, habit) }, "Edit"),
      habit.archived
        ? h("button", { type: "button", "aria-label": `Unarchive ${habit.name}`,
          onclick: () => this.act(`Brought ${habit.name} back.`, "POST", `/habits/${habit.id}/unarchive`) }, "Unarchive")
        : h("button", { type: "button", "aria-label": `Archive ${habit.name}`,
          onclick: () => this.act(`Archived ${habit.name}.`, "POST", `/habits/${habit.id}/archive`) }, "Archive"),
      h("button", { type: "button", class: "danger", "aria-label": `Delete ${habit.name}`,
        onclick: () => this.remove(habit) }, "Delete"));
    card.append(actions);
    return card;
  }

  edit(card, habit) {
    this.editing = habit.id;
    const close = async (message) => {
      this.editing = null;
      if (message) this.status.textContent = message;
      await this.reload();
      this.list.querySelector(`[aria-label="Edit ${CSS.escape(habit.name)}"]`)?.focus();
    };
    const form = habitForm(habit, "Save", async (body) => {
      const saved = await json("PATCH", `/habits/${habit.id}`, body);
      await close(`Saved ${saved.name}.`);
    }, () => close(null));
    form.setAttribute("aria-label", `Edit ${habit.name}`);
    card.replaceWith(form);
    form.querySelector("input").focus();
  }

  async remove(habit) {
    const sure = await confirmAction(`Delete ${habit.name} and all its logs? This cannot be undone; archiving ` +
      "keeps its history.", `Delete ${habit.name}`);
    if (sure) await this.act(`Deleted ${habit.name}.`, "DELETE", `/habits/${habit.id}`);
  }

  async act(done, method, path) {
    try {
      await json(method, path, method === "POST" ? {} : undefined);
      this.status.textContent = done;
    } catch (error) {
      this.status.textContent = failureText(error);
    }
    await this.reload();
  }
}
