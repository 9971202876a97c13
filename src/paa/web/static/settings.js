// Settings (#/settings): profile, preferences, check-in prompts, reminders, logins (sessions) and API tokens. Each
// section loads and saves on its own, so one failing (say, a token route refused to an API token) leaves the rest.

import { get, json, signOut } from "./api.js";
import { field, h, show } from "./dom.js";
import { confirmAction, failureText, statusLine, when } from "./ui.js";
import { setSystemNotifications, systemNotifications } from "./offline.js";

const SCOPES = [["read", "Read only"], ["read,write", "Read and write"]];
// Where a preference's value comes from (docs/json.md, Setting): a server's PAA_ variable wins over yours.
const SOURCES = {
  default: "default", stored: "yours", env: "set by the server's environment", file: "set in the server's config file",
  detected: "detected",
};

function section(id, title, ...children) {
  return h("section", { class: "card", id, "aria-labelledby": `${id}-title` }, h("h2", { id: `${id}-title` }, title),
    ...children);
}

function errorLine() {
  return h("p", { class: "error", role: "alert" });
}

// A form whose submit runs `save`; its error line says what went wrong, and the button waits for the answer.
function saving(form, error, save) {
  form.addEventListener("submit", async (submitted) => {
    submitted.preventDefault();
    error.textContent = "";
    const button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    try {
      await save();
    } catch (failure) {
      error.textContent = failureText(failure);
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

export class SettingsPage {
  constructor(main) {
    this.main = main;
    this.status = statusLine();
    this.parts = {
      profile: h("div"), preferences: h("div"), prompts: h("div"), reminders: h("div"), sessions: h("div"),
      tokens: h("div"), notifications: h("div"),
    };
  }

  async enter() {
    document.title = "Settings · paa";
    const p = this.parts;
    const contents = h("nav", { class: "toc", "aria-label": "Settings sections" }, h("ul", {},
      [["profile", "Profile"], ["preferences", "Preferences"], ["prompts", "Check-in prompts"],
        ["reminders", "Reminders"], ["sessions", "Sessions"], ["tokens", "API tokens"]]
        .map(([id, label]) => h("li", {}, h("a", { href: `#/settings`, "data-section": id, onclick: (clicked) => {
          clicked.preventDefault();
          const target = document.getElementById(id);
          target.scrollIntoView();
          target.querySelector("h2").focus();
        } }, label)))));
    show(this.main, h("h1", {}, "Settings"), contents, this.status,
      section("profile", "Profile", p.profile),
      section("preferences", "Preferences", p.preferences),
      section("prompts", "Check-in prompts", p.prompts),
      section("reminders", "Reminders", p.notifications, p.reminders),
      section("sessions", "Sessions", p.sessions),
      section("tokens", "API tokens", p.tokens));
    for (const heading of this.main.querySelectorAll("section h2")) heading.tabIndex = -1;
    await Promise.all([this.profile(), this.preferences(), this.prompts(), this.reminders(), this.sessions(),
      this.tokens(), this.notifications()]);
  }

  onEvent(event) {
    const areas = event.data?.areas || [];
    const typing = this.main.contains(document.activeElement) && document.activeElement.tagName === "INPUT";
    if (typing) return; // a live update never wipes what is being typed
    if (areas.includes("reminders") || areas.includes("habits")) this.reminders();
    if (areas.includes("checkins")) this.prompts();
  }

  async load(part, path, draw) {
    try {
      const answer = await get(path);
      // Drawn again (a live update, say): the button that had the focus keeps it, found by its label.
      const had = this.parts[part].contains(document.activeElement) && document.activeElement.getAttribute("aria-label");
      draw(answer);
      if (had) this.parts[part].querySelector(`[aria-label="${CSS.escape(had)}"]`)?.focus();
    } catch (error) {
      show(this.parts[part], h("p", { class: "error" }, failureText(error)));
    }
  }

  // ---- profile -----------------------------------------------------------------------------------------------

  profile() {
    return this.load("profile", "/users/me", (me) => {
      const name = h("input", { name: "display_name", maxlength: 200, autocomplete: "name", value: me.display_name ?? "" });
      const email = h("input", { name: "email", type: "email", maxlength: 320, autocomplete: "email",
        value: me.email ?? "" });
      const error = errorLine();
      const form = saving(h("form", {},
        h("p", { class: "facts" }, `User name ${me.username} · ${me.role}` +
          (me.identities.length ? ` · signs in with ${me.identities.join(", ")}` : "")),
        field("Display name", name), field("Email", email), error,
        h("button", { type: "submit" }, "Save profile")), error, async () => {
        const saved = await json("PATCH", "/users/me", {
          display_name: name.value.trim() || null, email: email.value.trim() || null,
        });
        this.status.textContent = "Saved the profile.";
        const who = document.getElementById("who");
        if (who) who.textContent = saved.display_name || saved.username;
      });
      show(this.parts.profile, form);
    });
  }

  // ---- preferences -------------------------------------------------------------------------------------------

  preferences() {
    return this.load("preferences", "/users/me/preferences", (settings) => {
      const inputs = settings.map((setting) => {
        const numeric = typeof setting.value === "number";
        const input = h("input", { name: setting.key, value: setting.value ?? "", autocomplete: "off",
          type: numeric ? "number" : "text", step: numeric ? "any" : null, "data-numeric": numeric ? "1" : null,
          "data-was": String(setting.value ?? "") });
        const from = SOURCES[setting.source] || setting.source;
        return [setting, input, field(setting.key, input, `${setting.description} (${from})`)];
      });
      const error = errorLine();
      const form = saving(h("form", { class: "preferences" }, inputs.map(([, , row]) => row), error,
        h("p", { class: "hint" }, "Empty a field to put it back to its default."),
        h("button", { type: "submit" }, "Save preferences")), error, async () => {
        const body = {};
        for (const [setting, input] of inputs) {
          if (input.value === input.dataset.was) continue;
          const text = input.value.trim();
          body[setting.key] = text === "" ? null : input.dataset.numeric ? Number(text) : text;
        }
        if (!Object.keys(body).length) {
          this.status.textContent = "Nothing changed.";
          return;
        }
        await json("PATCH", "/users/me/preferences", body);
        this.status.textContent = `Saved ${Object.keys(body).join(", ")}.`;
        await this.preferences();
      });
      show(this.parts.preferences, form);
    });
  }

  // ---- check-in prompts ----------------------------------------------------------------------------------------

  prompts() {
    return this.load("prompts", "/checkins/prompts", (prompts) => {
      const text = h("input", { name: "prompt", maxlength: 1000, required: true, autocomplete: "off" });
      const error = errorLine();
      const list = h("ul", { class: "rows", "aria-label": "Your prompts" }, prompts.map((prompt) => h("li", {},
        h("span", { class: "grow" }, `${prompt.position}. ${prompt.text}`),
        h("button", { type: "button", class: "quiet", "aria-label": `Move up: ${prompt.text}`,
          disabled: prompt.position === 1, onclick: () => this.movePrompt(prompt) }, "↑"),
        h("button", { type: "button", "aria-label": `Remove the prompt: ${prompt.text}`,
          disabled: prompts.length === 1, onclick: async () => {
            try {
              await json("DELETE", `/checkins/prompts?position=${prompt.position}`);
              this.status.textContent = `Removed the prompt "${prompt.text}".`;
            } catch (failure) {
              this.status.textContent = failureText(failure);
            }
            await this.prompts();
            this.parts.prompts.querySelector("input")?.focus();
          } }, "Remove"))));
      const form = saving(h("form", { class: "inline-add" }, field("New prompt", text), error,
        h("button", { type: "submit" }, "Add prompt")), error, async () => {
        await json("POST", "/checkins/prompts", { text: text.value.trim() });
        this.status.textContent = `Added the prompt "${text.value.trim()}".`;
        await this.prompts();
        this.parts.prompts.querySelector("input")?.focus();
      });
      show(this.parts.prompts, h("p", { class: "hint" }, "Asked in this order at each check-in; past check-ins " +
        "keep their answers when a prompt goes."), list, form);
    });
  }

  // One place earlier than where this list drew it; the prompt goes by its text, so a list changed meanwhile in
  // another window still moves this prompt, and a retried request leaves it where the first one put it.
  async movePrompt(prompt) {
    try {
      await json("POST", "/checkins/prompts/move", { text: prompt.text, position: prompt.position - 1 });
      this.status.textContent = `Moved "${prompt.text}" up.`;
    } catch (failure) {
      this.status.textContent = failureText(failure);
    }
    await this.prompts();
    const moved = this.parts.prompts.querySelector(`[aria-label="Move up: ${CSS.escape(prompt.text)}"]`);
    (moved && !moved.disabled ? moved : this.parts.prompts.querySelector("input"))?.focus();
  }

  // ---- reminders ---------------------------------------------------------------------------------------------

  reminders() {
    return this.load("reminders", "/reminders", (overview) => {
      const custom = overview.reminders.map((reminder) => h("li", {},
        h("span", { class: "grow" }, h("strong", {}, reminder.text), h("br"),
          h("small", { class: "facts" }, reminder.kind === "cron" ? `repeats: ${reminder.cron}` : "once",
            ` · next ${when(reminder.next)}`)),
        h("button", { type: "button", "aria-label": `Edit the reminder: ${reminder.text}`,
          onclick: (clicked) => this.editReminder(clicked.target.closest("li"), reminder) }, "Edit"),
        h("button", { type: "button", "aria-label": `Remove the reminder: ${reminder.text}`, onclick: async () => {
          try {
            await json("DELETE", `/reminders/${reminder.id}`);
            this.status.textContent = `Removed the reminder "${reminder.text}".`;
          } catch (failure) {
            this.status.textContent = failureText(failure);
          }
          await this.reminders();
        } }, "Remove")));
      const habits = overview.habits.map((habit) => h("li", {},
        h("span", { class: "grow" }, `${habit.name}: ${habit.times.join(", ")}` +
          (habit.days.length ? ` on ${habit.days.join(", ")}` : "")),
        h("small", { class: "facts" }, `next ${when(habit.next)}`)));
      const text = h("input", { name: "text", maxlength: 400, required: true, autocomplete: "off" });
      const kind = h("select", { name: "kind" }, h("option", { value: "at" }, "Once, at"),
        h("option", { value: "in" }, "Once, in"), h("option", { value: "cron" }, "Repeating (cron)"));
      const whenInput = h("input", { name: "when", maxlength: 200, required: true, autocomplete: "off" });
      const hints = { at: 'e.g. "tomorrow 9am", "fri 9:30", "2027-03-14 18:00"', in: "e.g. 20m, 2h",
        cron: 'e.g. "0 17 * * FRI" (Fridays at 17:00)' };
      const whenField = field("When", whenInput, hints.at);
      kind.addEventListener("change", () => (whenField.querySelector(".hint").textContent = hints[kind.value]));
      const error = errorLine();
      const form = saving(h("form", {}, h("h3", {}, "Add a reminder"), field("Text", text),
        h("div", { class: "row" }, field("Kind", kind), whenField), error,
        h("button", { type: "submit" }, "Add reminder")), error, async () => {
        const added = await json("POST", "/reminders", { text: text.value.trim(), [kind.value]: whenInput.value.trim() });
        this.status.textContent = `Added the reminder "${added.text}", next ${when(added.next)}.`;
        await this.reminders();
      });
      show(this.parts.reminders,
        custom.length ? h("ul", { class: "rows", "aria-label": "Your reminders" }, custom)
          : h("p", {}, "No reminders of your own."),
        h("h3", {}, "Habit reminders"),
        habits.length ? h("ul", { class: "rows", "aria-label": "Habit reminders" }, habits)
          : h("p", {}, "No habit has reminders."),
        h("p", { class: "hint" }, "Change them on the ", h("a", { href: "#/habits" }, "Habits"), " page."),
        h("p", {}, `Check-in prompt daily at ${overview.checkin.time ?? "–"}` +
          (overview.checkin.next ? `, next ${when(overview.checkin.next)}` : "") +
          " (the checkin.time preference)."),
        form);
    });
  }

  // The reminder's own row becomes its form: text, and when it fires (left empty: as it is); Save changes it in
  // place (PATCH), keeping its id and history.
  editReminder(row, reminder) {
    const text = h("input", { name: "text", maxlength: 400, required: true, autocomplete: "off", value: reminder.text });
    const kind = h("select", { name: "kind" }, h("option", { value: "at" }, "Once, at"),
      h("option", { value: "in" }, "Once, in"), h("option", { value: "cron" }, "Repeating (cron)"));
    kind.value = reminder.kind === "cron" ? "cron" : "at";
    const whenInput = h("input", { name: "when", maxlength: 200, autocomplete: "off",
      value: reminder.kind === "cron" ? reminder.cron : "" });
    const error = errorLine();
    const cancel = h("button", { type: "button", class: "quiet", onclick: () => this.reminders() }, "Cancel");
    const form = saving(h("form", { "aria-label": `Edit the reminder: ${reminder.text}` }, field("Text", text),
      h("div", { class: "row" }, field("Kind", kind), field("When", whenInput, "empty: when it fires now")), error,
      h("button", { type: "submit" }, "Save reminder"), cancel), error, async () => {
      const change = { text: text.value.trim() };
      if (whenInput.value.trim()) change[kind.value] = whenInput.value.trim();
      const saved = await json("PATCH", `/reminders/${reminder.id}`, change);
      this.status.textContent = `Saved the reminder "${saved.text}", next ${when(saved.next)}.`;
      await this.reminders();
    });
    show(row, form);
    text.focus();
  }

  // ---- browser notifications ---------------------------------------------------------------------------------

  // Reminders and check-in prompts as system notifications on this device, as well as in the page (app.js). The
  // choice is this browser's (kept in IndexedDB; signing out forgets it); the permission is the browser's own.
  async notifications() {
    const part = this.parts.notifications;
    if (!("Notification" in window)) {
      show(part, h("p", { class: "hint" }, "This browser cannot show notifications; reminders appear in the page."));
      return;
    }
    const on = Notification.permission === "granted" && (await systemNotifications().catch(() => false));
    const state = Notification.permission === "denied"
      ? "Browser notifications are blocked for this site in the browser's settings; reminders appear in the page."
      : on ? "Reminders and check-in prompts also show as notifications on this device while paa is open."
        : "Reminders and check-in prompts show in the page while it is open.";
    const button = h("button", { type: "button" }, on ? "Turn off browser notifications" : "Turn on browser notifications");
    button.disabled = Notification.permission === "denied";
    button.addEventListener("click", async () => {
      const wanted = !on && (await Notification.requestPermission()) === "granted";
      await setSystemNotifications(wanted).catch(() => {});
      await this.notifications();
      part.querySelector("button")?.focus();
    });
    show(part, h("p", { class: "hint" }, state), button);
  }

  // ---- sessions ----------------------------------------------------------------------------------------------

  sessions() {
    return this.load("sessions", "/auth/sessions", (logins) => {
      const rows = logins.map((login) => {
        const what = login.kind === "session" ? "terminal" : login.label === "browser" ? "browser" : "API";
        // `current`: the login this page's token came through (the server says which); ending it signs out here.
        const here = login.current ? " (this device)" : "";
        const name = `${login.label || what} since ${when(login.created_at)}${here}`;
        return h("li", {},
          h("span", { class: "grow" }, h("strong", {}, login.label || what), here ? h("span", { class: "badge" },
            "this device") : "", h("br"),
            h("small", { class: "facts" }, `${what} login since ${when(login.created_at)}` +
              (login.last_used_at ? `, last used ${when(login.last_used_at)}` : "") +
              ` · ends ${when(login.expires_at)}`)),
          h("button", { type: "button", class: "danger", "aria-label": `Revoke the login ${name}`, onclick: async () => {
            const sure = await confirmAction(login.current
              ? `Revoke the login "${name}"? It is this browser's: you are signed out here.`
              : `Revoke the login "${name}"? Whatever uses it must sign in again.`, "Revoke");
            if (!sure) return;
            try {
              await json("DELETE", `/auth/sessions/${login.id}`);
              this.status.textContent = `Revoked the login "${name}".`;
            } catch (failure) {
              this.status.textContent = failureText(failure);
              return;
            }
            if (login.current) await signOut().catch(() => {}); // forgets what this browser kept, as signing out does
            else await this.sessions();
          } }, "Revoke"));
      });
      show(this.parts.sessions, h("p", { class: "hint" }, "Where you are signed in: terminals, browsers and apps."),
        rows.length ? h("ul", { class: "rows", "aria-label": "Your logins" }, rows) : h("p", {}, "No logins."));
    });
  }

  // ---- API tokens --------------------------------------------------------------------------------------------

  tokens() {
    return this.load("tokens", "/auth/tokens", (tokens) => {
      const rows = tokens.map((token) => h("li", { "data-token": token.name ?? "" },
        h("span", { class: "grow" }, h("strong", {}, token.name || `token ${token.id}`), h("br"),
          h("small", { class: "facts" }, `${token.scopes.join(" and ")} · made ${when(token.created_at)}` +
            ` · ${token.expires_at ? `ends ${when(token.expires_at)}` : "no end"}` +
            (token.last_used_at ? ` · last used ${when(token.last_used_at)}` : " · never used"))),
        h("button", { type: "button", class: "danger", "aria-label": `Revoke the token ${token.name || token.id}`,
          onclick: async () => {
            const sure = await confirmAction(`Revoke the token "${token.name || token.id}"? What uses it stops ` +
              "working at once.", "Revoke");
            if (!sure) return;
            try {
              await json("DELETE", `/auth/tokens/${token.id}`);
              this.status.textContent = `Revoked the token "${token.name || token.id}".`;
            } catch (failure) {
              this.status.textContent = failureText(failure);
            }
            await this.tokens();
          } }, "Revoke")));
      const name = h("input", { name: "token_name", maxlength: 200, required: true, autocomplete: "off" });
      const scope = h("select", { name: "scope" }, SCOPES.map(([value, label]) => h("option", { value }, label)));
      const days = h("input", { name: "days", type: "number", min: "1", max: "3650", step: "1", inputmode: "numeric" });
      const error = errorLine();
      const made = h("div", { class: "made", "aria-live": "polite" });
      const form = saving(h("form", {}, h("h3", {}, "Create a token"), field("Token name", name, "e.g. phone"),
        h("div", { class: "row" }, field("Access", scope), field("Days it lasts", days, "empty: until revoked")),
        error, h("button", { type: "submit" }, "Create token")), error, async () => {
        const body = { name: name.value.trim(), scope: scope.value };
        if (days.value !== "") body.days = Number(days.value);
        const token = await json("POST", "/auth/tokens", body);
        await this.tokens();
        this.showOnce(token);
      });
      show(this.parts.tokens,
        rows.length ? h("ul", { class: "rows", "aria-label": "Your API tokens" }, rows) : h("p", {}, "No API tokens."),
        made, form);
    });
  }

  // The new token, this once: the server keeps only its hash. Selected for copying; nothing keeps it after.
  showOnce(token) {
    const value = h("input", { readonly: true, value: token.token, "aria-label": `New token: ${token.name}`,
      class: "secret" });
    const copy = h("button", { type: "button", onclick: async () => {
      value.select();
      try {
        await navigator.clipboard.writeText(token.token);
        copy.textContent = "Copied";
      } catch {
        copy.textContent = "Select and copy it";
      }
    } }, "Copy");
    const box = h("div", { class: "notice once", role: "status" },
      h("p", {}, h("strong", {}, `Your new token "${token.name}"`), " is shown this once: copy it now, then send it as ",
        h("code", {}, "Authorization: Bearer <token>"), "."), h("div", { class: "inline" }, value, copy));
    this.parts.tokens.querySelector(".made").replaceChildren(box);
    value.focus();
    value.select();
  }
}
