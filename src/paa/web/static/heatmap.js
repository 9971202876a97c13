// Drawing for the analytics pages, as SVG built node by node: a calendar heatmap (one square a day, weeks as columns,
// Monday on top) and a line chart. Each has a text name for screen readers; the pages add the figures as a table.

const SVG = "http://www.w3.org/2000/svg";

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
  return svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "heatmap", role: "img", "aria-label": label,
    "data-columns": columns }, ...parts);
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
