// The day's check-in: mood, energy and an answer per prompt; today's, once saved, with its reflection.

import { ApiError, get, send } from "./api.js";
import { field, h, show } from "./dom.js";

const MOODS = ["1 low", "2", "3", "4", "5 great"];
const ENERGIES = ["1 drained", "2", "3", "4", "5 full"];

function scale(name, legend, words, required) {
  return h("fieldset", { class: "scale" }, h("legend", {}, legend),
    words.map((word, index) => h("label", {},
      h("input", { type: "radio", name, value: String(index + 1), required: required && index === 0 }), word)));
}

function picked(form, name) {
  const chosen = form.querySelector(`input[name="${name}"]:checked`);
  return chosen ? Number(chosen.value) : null;
}

export class CheckinPage {
  constructor(main) {
    this.main = main;
    this.status = h("p", { class: "status", role: "status", "aria-live": "polite" });
    this.saved = h("section", { class: "card", "aria-label": "Today's check-in" });
    this.asked = h("div", { class: "asked", "aria-live": "polite" });
    this.form = null;
  }

  async enter() {
    document.title = "Check-in · paa";
    show(this.main, h("h1", {}, "Check-in"), this.status, this.saved);
    try {
      const [prompts, today] = await Promise.all([get("/checkins/prompts"), this.today()]);
      this.prompts = prompts;
      this.render(today);
    } catch (error) {
      this.status.textContent = error instanceof ApiError ? error.message : "The server cannot be reached.";
    }
  }

  async today() {
    try {
      return await get("/checkins/today");
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return null;
      throw error;
    }
  }

  onEvent(event) {
    const areas = event.data?.areas || [];
    if (!this.prompts || this.form?.contains(document.activeElement)) return;
    if (areas.includes("checkins") || (areas.includes("chat") && this.checkin)) {
      this.today().then((today) => this.render(today)).catch(() => {});
    }
  }

  // The model's follow-up question on a check-in is kept as a conversation titled "Check-in <day>"
  // (paa.ai.checkin_ai.keep_follow_up); it arrives a little after the check-in is saved.
  async followUp(day) {
    const conversations = await get("/chat/history?limit=20");
    const found = conversations.find((conversation) => conversation.title === `Check-in ${day}`);
    if (!found) return null;
    const conversation = await get(`/chat/history?conversation_id=${found.id}`);
    const asked = conversation.messages.filter((message) => message.role === "assistant" && message.content).pop();
    return asked ? { id: found.id, question: asked.content } : null;
  }

  render(today) {
    const answers = this.prompts.map((prompt) => h("textarea", { name: `answer-${prompt.position}`, rows: 3 }));
    const form = h("form", { class: "card", "aria-label": today ? "Add to today's check-in" : "Check in" },
      today ? null : scale("mood", "Mood", MOODS, true),
      today ? null : scale("energy", "Energy (optional)", ENERGIES, false),
      this.prompts.map((prompt, index) => field(prompt.text, answers[index])),
      h("button", { type: "submit", class: "primary" }, today ? "Add answers" : "Check in"));
    form.addEventListener("submit", async (submitted) => {
      submitted.preventDefault();
      const body = { answers: answers.map((area) => area.value.trim() || null) };
      if (today) body.mode = "append";
      else Object.assign(body, { mood: picked(form, "mood"), energy: picked(form, "energy") });
      try {
        // For the day it is made, also when it is sent later: today's as Today last showed it (kept offline).
        const day = today?.day ?? (await get("/habits/today").then((shown) => shown.day).catch(() => null));
        if (day) body.date = day;
        const sent = await send("POST", "/checkins/daily", body, `Check-in${day ? ` for ${day}` : ""}`);
        if (sent.queued) {
          this.status.textContent = "Check-in saved here, to be sent when the connection returns.";
          form.reset();
          return;
        }
        const result = sent.result;
        this.status.textContent = today ? "Added to today's check-in." : "Checked in. Thank you.";
        this.render(result.checkin);
      } catch (error) {
        this.status.textContent = error instanceof ApiError ? error.message : "The server cannot be reached.";
      }
    });
    this.form = form;
    this.checkin = today;
    if (today) this.showSaved(today);
    else this.saved.hidden = true;
    this.main.append(form);
    for (const old of [...this.main.querySelectorAll("form")].slice(0, -1)) old.remove();
  }

  showSaved(checkin) {
    this.saved.hidden = false;
    show(this.saved,
      h("h2", {}, `Checked in for ${checkin.day}`),
      h("p", {}, `Mood ${checkin.mood}/5`, checkin.energy ? ` · energy ${checkin.energy}/5` : "",
        checkin.sentiment ? ` · ${checkin.sentiment.label}` : ""),
      h("dl", {}, checkin.answers.flatMap((pair) => [h("dt", {}, pair.prompt), h("dd", {}, pair.answer)])),
      checkin.reflection ? h("p", { class: "reflection" }, checkin.reflection) : null,
      this.asked);
    this.followUp(checkin.day).then((found) => {
      if (!found) return;
      show(this.asked, h("h3", {}, "paa asks"), h("p", { class: "follow-up" }, found.question),
        h("a", { href: `#/chat/${found.id}` }, "Answer in Chat"));
      this.saved.append(this.asked);
    }).catch(() => {});
  }
}
