// One habit's calendar heatmap, as SVG built node by node: one square a day, weeks as columns, Monday on top. It has a
// text name for screen readers; the page adds the days as a table.

import { svg } from "./analytics.js";

export const STATE_WORDS = {
  done: "done", within: "within the limit", over: "over the limit", partial: "partly done", skipped: "skipped",
  missed: "missed", due: "to do", not_due: "not due",
};

const CELL = 14;
const GAP = 3;
const WEEKDAY_LABELS = ["Mon", "", "Wed", "", "Fri", "", ""];

// Days are "YYYY-MM-DD" in order; `state` names each square's class (state-done, state-missed...).
export function heatmap(days, label) {
  if (!days.length) return null;
  const first = new Date(`${days[0].day}T00:00:00Z`);
  const offset = (first.getUTCDay() + 6) % 7; // Monday 0
  const columns = Math.ceil((offset + days.length) / 7);
  const left = 30;
  const top = 16;
  const width = left + columns * (CELL + GAP);
  const height = top + 7 * (CELL + GAP);
  const parts = [];
  WEEKDAY_LABELS.forEach((text, row) => {
    if (text) parts.push(svg("text", { x: 0, y: top + row * (CELL + GAP) + CELL - 3, class: "axis" }, text));
  });
  let month = "";
  days.forEach((day, index) => {
    const place = offset + index;
    const column = Math.floor(place / 7);
    const row = place % 7;
    const name = new Date(`${day.day}T00:00:00Z`).toLocaleString("en", { month: "short", timeZone: "UTC" });
    if (name !== month && (row === 0 || index === 0)) {
      month = name;
      parts.push(svg("text", { x: left + column * (CELL + GAP), y: 11, class: "axis" }, name));
    }
    const words = STATE_WORDS[day.state] || day.state;
    parts.push(svg("rect", { x: left + column * (CELL + GAP), y: top + row * (CELL + GAP), width: CELL, height: CELL,
      rx: 2, class: `cell state-${day.state}` },
    svg("title", {}, `${day.day}: ${words}${day.value !== null && day.value !== undefined ? ` (${day.value})` : ""}`)));
  });
  // Drawn at its own size (a square of 14 px a day), smaller only where the screen is narrower.
  return svg("svg", { viewBox: `0 0 ${width} ${height}`, width, height, class: "heatmap", role: "img", "aria-label": label,
    "data-columns": columns }, ...parts);
}
