// Today: each habit with its state, progress and streak; one tap logs, an amount adds, skip and undo.

import { ApiError, get, json, send, waitingWrites } from "./api.js";
import { field, h, show } from "./dom.js";

const KEPT = new Set(["done", "within", "over"]);
const STATE_WORDS = {
  done: "done", partial: "partly done", over: "over the limit", within: "within the limit", skipped: "skipped",
  due: "to do", not_due: "not due today", missed: "missed",
};

function amountText(habit) {
  const value = habit.today.value ?? 0;
  const unit = habit.unit ? ` ${habit.unit}` : "";
  if (habit.target === null) return `${value}${unit}`;
  return `${value} of ${habit.target}${unit}${habit.target_type === "at_most" ? " at most" : ""}`;
}

function loggedToday(habit) {
  return habit.today.value !== null || habit.today.state === "skipped" || habit.today.state === "done";
}

export class TodayPage {
  constructor(main) {
    this.main = main;
    this.status = h("p", { class: "status", role: "status", "aria-live": "polite" });
    this.list = h("div", { class: "habits" });
    this.summary = h("div", { class: "summary" });
    this.reloading = null;
  }

  async enter() {
    document.title = "Today · paa";
    show(this.main, h("h1", {}, "Today"), this.summary, this.status, this.list, this.adder());
    await this.reload();
  }

  // A new habit: the fields `paa habit add` asks most; the rest (categories, colours, times per week) in a terminal.
  adder() {
    const name = h("input", { name: "name", required: true, maxlength: 200, autocomplete: "off" });
    const unit = h("input", { name: "unit", maxlength: 100, autocomplete: "off" });
    const target = h("input", { name: "target", type: "number", step: "any", min: "0", inputmode: "decimal" });
    const days = h("input", { name: "days", maxlength: 100, autocomplete: "off" });
    const remind = h("input", { name: "remind", maxlength: 200, autocomplete: "off" });
    const error = h("p", { class: "error", role: "alert" });
    const form = h("form", { class: "card" },
      field("Name", name),
      h("div", { class: "row" }, field("Unit (for an amount)", unit, "e.g. glasses"),
        field("Daily target", target, "e.g. 8")),
      field("Days", days, "empty: every day; or e.g. mon,wed,fri"),
      field("Reminders", remind, "e.g. 09:00,18:00"),
      error, h("button", { type: "submit" }, "Add habit"));
    form.addEventListener("submit", async (submitted) => {
      submitted.preventDefault();
      error.textContent = "";
      const body = { name: name.value.trim() };
      for (const [key, input] of [["unit", unit], ["days", days], ["remind", remind]]) {
        if (input.value.trim()) body[key] = input.value.trim();
      }
      if (target.value !== "") body.target = Number(target.value);
      try {
        await json("POST", "/habits", body);
        form.reset();
        details.open = false;
        this.status.textContent = `Added ${body.name}.`;
        await this.reload();
      } catch (failure) {
        error.textContent = failure instanceof ApiError ? failure.message : "The server cannot be reached.";
      }
    });
    const details = h("details", { class: "add-habit" }, h("summary", {}, "Add a habit"), form);
    return details;
  }

  onEvent(event) {
    const areas = event.data?.areas || [];
    const redraw = event.type === "ready" || event.type === "resync" || event.type === "waiting";
    if (redraw || areas.includes("habits")) this.reload();
  }

  // One reload at a time; a change arriving meanwhile asks for one more after it.
  reload() {
    if (this.reloading) {
      this.again = true;
      return this.reloading;
    }
    this.reloading = (async () => {
      try {
        do {
          this.again = false;
          this.render(await get("/habits/today"));
        } while (this.again);
      } catch (error) {
        this.status.textContent = error instanceof ApiError ? error.message : "The server cannot be reached.";
      } finally {
        this.reloading = null;
      }
    })();
    return this.reloading;
  }

  // A live update redraws the list: the control that had the focus (and an amount being typed) is kept, so a
  // change from elsewhere never throws a keyboard or screen-reader user back to the top.
  render(today) {
    const active = document.activeElement;
    const focused = active?.dataset?.focusKey;
    this.draw(today);
    if (!focused) return;
    // The same control, or (when it went away, as Done does once done) the habit's Undo, Skip or Done.
    const id = focused.split(":")[0];
    const again = [focused, `${id}:undo`, `${id}:skip`, `${id}:done`]
      .map((key) => this.list.querySelector(`[data-focus-key="${CSS.escape(key)}"]`))
      .find(Boolean);
    if (!again) return;
    if (again.dataset.focusKey === focused && again.tagName === "INPUT") {
      // The very field being typed in goes back in place of its new copy: its text, caret and selection as they
      // were (a copy given the text had its caret moved, and the next key landed in the wrong place).
      again.replaceWith(active);
      active.focus();
    } else {
      again.focus();
    }
  }

  draw(today) {
    this.day = today.day; // a log or skip is for the day shown, also when it is sent later
    const due = today.habits.filter((habit) => habit.today.state !== "not_due");
    const rest = today.habits.filter((habit) => habit.today.state === "not_due");
    const counted = due.filter((habit) => habit.today.state !== "skipped");
    const kept = counted.filter((habit) => KEPT.has(habit.today.state)).length;
    const meter = h("progress", { max: Math.max(counted.length, 1), value: kept, "aria-label": "Habits done today" });
    show(this.summary, h("p", {}, `${kept} of ${counted.length} due habits done · ${today.day}`), meter);
    if (!today.habits.length) {
      show(this.list, h("p", {}, "No habits yet: add one below."));
      return;
    }
    show(this.list,
      due.map((habit) => this.card(habit)),
      rest.length ? h("h2", { class: "aside" }, "Not due today") : null,
      rest.map((habit) => this.card(habit)));
  }

  card(habit) {
    const state = habit.today.state;
    const title = h("h2", { id: `habit-${habit.id}-name` }, habit.name);
    const facts = [habit.schedule.text, STATE_WORDS[state] || state];
    const queued = waitingWrites().filter((item) => item.path.startsWith(`/habits/${habit.id}/`)).length;
    if (queued) facts.push(`${queued} waiting to be sent`);
    if (habit.streak.current) facts.push(`streak ${habit.streak.current} (best ${habit.streak.best})`);
    const actions = h("div", { class: "actions" });
    const card = h("article", { class: `habit state-${state}`, "data-habit": habit.name, "aria-labelledby": title.id },
      h("div", { class: "head" }, title, h("span", { class: "state" }, STATE_WORDS[state] || state)),
      h("p", { class: "facts" }, facts.join(" · ")), actions);
    if (habit.kind === "measurable") {
      card.insertBefore(h("div", { class: "amount" },
        h("meter", { min: 0, max: habit.target || Math.max(habit.today.value || 0, 1), value: habit.today.value || 0,
          "aria-label": `${habit.name}: ${amountText(habit)}` }),
        h("span", {}, amountText(habit))), actions);
      const amount = h("input", { type: "number", "data-focus-key": `${habit.id}:amount`, step: "any", min: "0", inputmode: "decimal", value: "1",
        "aria-label": `Amount of ${habit.name}${habit.unit ? ` in ${habit.unit}` : ""}` });
      const add = h("button", { type: "submit", "data-focus-key": `${habit.id}:add`, "aria-label": `Add to ${habit.name}` }, "Add");
      const form = h("form", { class: "inline" }, amount, add);
      form.addEventListener("submit", (submitted) => {
        submitted.preventDefault();
        const field = form.querySelector("input"); // (a redraw may have put the field being typed in here)
        const value = Number(field.value);
        if (!Number.isFinite(value) || field.value === "") {
          this.status.textContent = "Give the amount as a number.";
          return;
        }
        this.keep(`Added ${value} to ${habit.name}`, `/habits/${habit.id}/log`, { value });
      });
      actions.append(form);
    } else if (state !== "done") {
      actions.append(h("button", { type: "button", class: "primary", "data-focus-key": `${habit.id}:done`,
        "aria-label": `Done: ${habit.name}`,
        onclick: () => this.keep(`Logged ${habit.name}`, `/habits/${habit.id}/log`, {}) }, "Done"));
    }
    if (state !== "skipped") {
      actions.append(h("button", { type: "button", "data-focus-key": `${habit.id}:skip`, "aria-label": `Skip ${habit.name}`,
        onclick: () => this.keep(`Skipped ${habit.name} today`, `/habits/${habit.id}/skip`, {}) }, "Skip"));
    }
    if (loggedToday(habit)) {
      actions.append(h("button", { type: "button", "data-focus-key": `${habit.id}:undo`, "aria-label": `Undo ${habit.name}`,
        onclick: () => this.keep(`Undid ${habit.name}`, `/habits/${habit.id}/log?date=${this.day}`, undefined,
          "DELETE") },
      "Undo"));
    }
    return card;
  }

  // A log, skip or undo: queued (offline.js) and sent; without a connection it waits and is sent when the connection
  // returns, once (its Idempotency-Key), for the day the page showed when it was tapped.
  async keep(done, path, body, method = "POST") {
    try {
      const sent = await send(method, path, body && { ...body, date: this.day }, `${done} (${this.day})`);
      this.status.textContent = sent.queued ? `${done}: saved here, to be sent when the connection returns.` : `${done}.`;
    } catch (error) {
      this.status.textContent = error instanceof ApiError ? error.message : "The server cannot be reached.";
    }
    await this.reload();
  }
}
