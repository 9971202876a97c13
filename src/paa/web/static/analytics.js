// Analytics: the day-by-day completion as a bar chart (with the same figures as a table), each habit's strength,
// completion and streak (each linking to its own page, #/habit/<id>), mood over time, engagement, and paa's
// insights, for a chosen period.

import { ApiError, get } from "./api.js";
import { h, show } from "./dom.js";

const PERIODS = [["7d", "7 days"], ["30d", "30 days"], ["90d", "90 days"], ["365d", "a year"]];
const SVG = "http://www.w3.org/2000/svg";

// SVG built node by node, as dom.js's h() builds HTML (a null attribute is left out); shared with habit_analytics.js.
export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value !== null && value !== undefined) el.setAttribute(key, String(value));
  }
  for (const child of children) {
    if (child !== null && child !== undefined) el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

// Lines over days: each series is [{day, y}] with y from `low` to `high` (null: no point, the line breaks).
export function lineChart(series, { low, high, label, ticks = [] }) {
  const width = 600;
  const height = 160;
  const left = 28;
  const days = series[0]?.points.length || 0;
  const step = (width - left) / Math.max(days - 1, 1);
  const y = (value) => height - 8 - ((value - low) / (high - low)) * (height - 16);
  const parts = ticks.map((tick) => svg("g", {},
    svg("line", { x1: left, x2: width, y1: y(tick), y2: y(tick), class: "grid" }),
    svg("text", { x: 0, y: y(tick) + 4, class: "axis" }, tick)));
  for (const line of series) {
    let path = "";
    let pen = false;
    line.points.forEach((point, index) => {
      if (point.y === null || point.y === undefined) {
        pen = false;
        return;
      }
      path += `${pen ? "L" : "M"}${(left + index * step).toFixed(1)},${y(point.y).toFixed(1)} `;
      pen = true;
    });
    if (path) parts.push(svg("path", { d: path.trim(), class: `line ${line.class}` }));
    line.points.forEach((point, index) => {
      if (line.dots && point.y !== null && point.y !== undefined) {
        parts.push(svg("circle", { cx: left + index * step, cy: y(point.y), r: 3, class: `dot ${line.class}` },
          svg("title", {}, `${point.day}: ${point.y}`)));
      }
    });
  }
  return svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "chart line-chart", role: "img", "aria-label": label },
    ...parts);
}

const percent = (rate) => (rate === null || rate === undefined ? "–" : `${Math.round(rate * 100)}%`);

// One bar a day, its height the share of due habits done; a day with nothing due has no bar.
function completionChart(days) {
  const width = 600;
  const height = 120;
  const step = width / Math.max(days.length, 1);
  const bars = days.map((day, index) => {
    const rate = day.rate ?? 0;
    const tall = Math.max(rate * height, day.rate === null ? 0 : 2);
    return svg("rect", { class: "bar", x: index * step + step * 0.1, y: height - tall, width: step * 0.8,
      height: tall }, svg("title", {}, `${day.day}: ${day.done} of ${day.due} done`));
  });
  return svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "chart", role: "img",
    "aria-label": `Daily completion over ${days.length} days` }, ...bars);
}

function completionTable(days) {
  return h("details", {}, h("summary", {}, "The same as a table"),
    h("table", {}, h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Day"), h("th", { scope: "col" }, "Done"),
      h("th", { scope: "col" }, "Due"), h("th", { scope: "col" }, "Rate"))),
    h("tbody", {}, days.map((day) => h("tr", {}, h("th", { scope: "row" }, day.day), h("td", {}, day.done),
      h("td", {}, day.due), h("td", {}, percent(day.rate)))))));
}

// Each day's mood (dots) and its 7-day average (a line), from 1 to 5.
function moodChart(days) {
  const points = (key) => days.map((day) => ({ day: day.day, y: day[key] }));
  const rated = days.filter((day) => day.mood !== null);
  const last = days.at(-1)?.mood_7d;
  return h("figure", { class: "mood" },
    lineChart([{ class: "average", points: points("mood_7d") }, { class: "mood", points: points("mood"), dots: true }],
      { low: 1, high: 5, ticks: [1, 3, 5], label: `Mood on ${rated.length} of ${days.length} days` +
        (last ? `; 7-day average now ${last}` : "") }),
    h("figcaption", { class: "facts" }, "Dots: each day's mood (1 low to 5 great); line: the 7-day average."));
}

function moodTable(days) {
  const rated = days.filter((day) => day.mood !== null || day.energy !== null);
  return h("details", {}, h("summary", {}, "Mood by day as a table"),
    h("table", {}, h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Day"), h("th", { scope: "col" }, "Mood"),
      h("th", { scope: "col" }, "Energy"), h("th", { scope: "col" }, "7-day mood"))),
    h("tbody", {}, rated.map((day) => h("tr", {}, h("th", { scope: "row" }, day.day), h("td", {}, day.mood ?? "–"),
      h("td", {}, day.energy ?? "–"), h("td", {}, day.mood_7d ?? "–"))))));
}

export class AnalyticsPage {
  constructor(main) {
    this.main = main;
    this.period = "30d";
    this.status = h("p", { class: "status", role: "status", "aria-live": "polite" });
    this.body = h("div", {});
  }

  async enter() {
    document.title = "Analytics · paa";
    const choose = h("select", { id: "period", onchange: (changed) => {
      this.period = changed.target.value;
      this.reload();
    } }, PERIODS.map(([value, label]) => h("option", { value, selected: value === this.period }, label)));
    show(this.main, h("div", { class: "head" }, h("h1", {}, "Analytics"),
      h("div", { class: "field inline-field" }, h("label", { for: "period" }, "Period"), choose)),
    this.status, this.body);
    await this.reload();
  }

  onEvent(event) {
    const areas = event.data?.areas || [];
    if (areas.includes("habits") || areas.includes("checkins")) this.reload();
  }

  async reload() {
    try {
      const [summary, mood] = await Promise.all([get(`/analytics/habits/summary?period=${this.period}`),
        get(`/analytics/mood?period=${this.period}`)]);
      this.render(summary, mood);
    } catch (error) {
      this.status.textContent = error instanceof ApiError ? error.message : "The server cannot be reached.";
    }
  }

  render(summary, moodDays) {
    const days = summary.completion.days;
    const mood = summary.mood;
    const engagement = summary.engagement;
    show(this.body,
      h("section", { class: "card", "aria-labelledby": "completion-title" },
        h("h2", { id: "completion-title" }, `Completion: ${percent(summary.completion.average)} on average`),
        days.length ? completionChart(days) : h("p", {}, "Nothing was due in this period."),
        days.length ? completionTable(days) : null),
      h("section", { class: "card", "aria-labelledby": "habits-title" },
        h("h2", { id: "habits-title" }, "Habits"),
        summary.habits.length ? h("ul", { class: "strengths" }, summary.habits.map((habit) => h("li", {},
          h("a", { class: "name", href: `#/habit/${habit.id}` }, habit.name),
          h("meter", { min: 0, max: 1, value: habit.strength, "aria-label": `${habit.name}: strength` }),
          h("span", { class: "facts" }, `strength ${percent(habit.strength)} · done ${percent(habit.completion.period)}` +
            ` · streak ${habit.streak.current} (best ${habit.streak.best})`)))) : h("p", {}, "No habits yet.")),
      h("section", { class: "card", "aria-labelledby": "mood-title" },
        h("h2", { id: "mood-title" }, "Mood and engagement"),
        h("p", {}, mood.checkins ? `Mood ${mood.mood.average ?? "–"}/5 on average over ${mood.checkins} check-ins` +
          (mood.energy.average ? `, energy ${mood.energy.average}/5` : "") : "No check-ins in this period."),
        mood.checkins ? moodChart(moodDays.days) : null,
        mood.checkins ? moodTable(moodDays.days) : null,
        h("p", {}, `Active on ${engagement.active_days} of ${engagement.days} days; ` +
          `check-in streak ${engagement.checkin_streak} (best ${engagement.checkin_best}).`)),
      summary.insights.length ? h("section", { class: "card", "aria-labelledby": "insights-title" },
        h("h2", { id: "insights-title" }, "Insights"),
        h("ul", {}, summary.insights.map((insight) => h("li", {}, insight.text)))) : null);
  }
}
