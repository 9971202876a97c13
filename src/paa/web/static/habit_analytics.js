// One habit's analytics (#/habit/<id>): a calendar heatmap of its days, its strength over time, completion over
// several windows, streaks, weekdays and amounts, for a chosen period.

import { ApiError, get } from "./api.js";
import { h, show } from "./dom.js";
import { lineChart } from "./analytics.js";
import { STATE_WORDS, heatmap } from "./heatmap.js";
import { failureText, statusLine } from "./ui.js";

const PERIODS = [["30d", "30 days"], ["90d", "90 days"], ["182d", "half a year"], ["365d", "a year"]];
const LEGEND = ["done", "partial", "skipped", "missed", "not_due"];
const round = (value) => (value === null || value === undefined ? "–" : String(Math.round(value * 10) / 10));
const percent = (rate) => (rate === null || rate === undefined ? "–" : `${Math.round(rate * 100)}%`);

export class HabitAnalyticsPage {
  constructor(main, id) {
    this.main = main;
    this.id = id;
    this.period = "90d";
    this.status = statusLine();
    this.body = h("div");
  }

  async enter() {
    document.title = "Habit analytics · paa";
    if (!this.id) {
      location.hash = "#/analytics";
      return;
    }
    this.title = h("h1", {}, "Habit");
    const choose = h("select", { id: "habit-period", onchange: (changed) => {
      this.period = changed.target.value;
      this.reload();
    } }, PERIODS.map(([value, label]) => h("option", { value, selected: value === this.period }, label)));
    show(this.main, h("p", {}, h("a", { href: "#/analytics" }, "← All analytics")),
      h("div", { class: "head" }, this.title,
        h("div", { class: "field inline-field" }, h("label", { for: "habit-period" }, "Period"), choose)),
      this.status, this.body);
    await this.reload();
  }

  onEvent(event) {
    if ((event.data?.areas || []).includes("habits")) this.reload();
  }

  async reload() {
    try {
      this.render(await get(`/analytics/habits/${this.id}?period=${this.period}`));
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        show(this.body, h("p", {}, "There is no such habit. ", h("a", { href: "#/habits" }, "See your habits.")));
      } else {
        this.status.textContent = failureText(error);
      }
    }
  }

  render(report) {
    const habit = report.habit;
    this.title.textContent = habit.name;
    document.title = `${habit.name} · analytics · paa`;
    const days = report.history;
    const counted = days.filter((day) => day.state !== "not_due");
    const kept = days.filter((day) => ["done", "within", "over"].includes(day.state)).length;
    const change = report.strength_change;
    const strengthPoints = days.map((day) => ({ day: day.day, y: day.strength === null ? null : Math.round(day.strength * 100) }));
    const measure = report.measure;
    show(this.body,
      h("section", { class: "card", "aria-labelledby": "strength-title" },
        h("h2", { id: "strength-title" }, `Strength ${percent(report.strength)}`),
        h("meter", { min: 0, max: 1, value: report.strength, "aria-label": `${habit.name}: strength` }),
        h("p", { class: "facts" }, `${change === null || change === undefined ? "" : `${change >= 0 ? "up" : "down"} ` +
          `${Math.abs(Math.round(change * 100))} points over the period · `}${habit.schedule.text}` +
          (habit.archived ? " · archived" : "")),
        days.length ? lineChart([{ class: "strength", points: strengthPoints }],
          { low: 0, high: 100, ticks: [0, 50, 100], label: `${habit.name}: strength over ${days.length} days, ` +
            `from ${strengthPoints[0].y ?? "–"}% to ${strengthPoints.at(-1).y ?? "–"}%` }) : null),
      h("section", { class: "card", "aria-labelledby": "calendar-title" },
        h("h2", { id: "calendar-title" }, "Calendar"),
        h("p", { class: "facts" }, `Done on ${kept} of ${counted.length} days it counted` +
          ` (${report.period.start} to ${report.period.end})`),
        days.length ? h("div", { class: "heatmap-box" }, heatmap(days,
          `${habit.name}: a calendar of ${days.length} days, done on ${kept}`)) : h("p", {}, "No days yet."),
        h("ul", { class: "legend", "aria-label": "Colours" }, LEGEND.map((state) => h("li", {},
          h("span", { class: `swatch state-${state}`, "aria-hidden": "true" }), STATE_WORDS[state]))),
        days.length ? h("details", {}, h("summary", {}, "The days as a table"),
          h("table", {}, h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Day"), h("th", { scope: "col" }, "State"),
            h("th", { scope: "col" }, "Amount"), h("th", { scope: "col" }, "Strength"))),
          h("tbody", {}, days.slice().reverse().map((day) => h("tr", {}, h("th", { scope: "row" }, day.day),
            h("td", {}, STATE_WORDS[day.state] || day.state), h("td", {}, day.value ?? ""),
            h("td", {}, percent(day.strength))))))) : null),
      h("section", { class: "card", "aria-labelledby": "completion-title" },
        h("h2", { id: "completion-title" }, "Completion and streaks"),
        h("dl", { class: "figures" },
          ...[["This period", report.completion.period], ["7 days", report.completion["7d"]],
            ["30 days", report.completion["30d"]], ["90 days", report.completion["90d"]],
            ["A year", report.completion["365d"]], ["Since it began", report.completion.all]]
            .flatMap(([label, rate]) => [h("dt", {}, label), h("dd", {}, percent(rate))]),
          h("dt", {}, "Streak"), h("dd", {}, `${report.streak.current} (best ${report.streak.best})`),
          h("dt", {}, "Done in all"), h("dd", {}, `${report.totals.done}, skipped ${report.totals.skipped}`)),
        h("h3", {}, "By weekday"),
        h("ul", { class: "strengths" }, report.weekdays.map((day) => h("li", {},
          h("span", { class: "name" }, day.day),
          h("meter", { min: 0, max: 1, value: day.rate ?? 0, "aria-label": `${day.day}: ${percent(day.rate)}` }),
          h("span", { class: "facts" }, day.due ? `${day.done} of ${day.due} · ${percent(day.rate)}` : "not due"))))),
      measure ? h("section", { class: "card", "aria-labelledby": "amounts-title" },
        h("h2", { id: "amounts-title" }, "Amounts"),
        h("p", {}, `${round(measure.total)} ${habit.unit || ""} in all; ${round(measure.average_daily)} a day on ` +
          "average; " +
          `on target on ${measure.on_target} of ${measure.due_days} days; highest ${round(measure.highest)}, ` +
          `lowest ${round(measure.lowest)}.`)) : null);
  }
}
