// The browser app's entry: sign-in, the page router (#/today, #/checkin, #/chat, #/analytics; #/habits, #/settings,
// #/conversations and #/habit/<id> loaded when first opened), live events and notifications.

import { ApiError, get, onSession, resume, signIn, signOut } from "./api.js";
import { field, h, show } from "./dom.js";
import { Live } from "./live.js";
import { TodayPage } from "./today.js";
import { CheckinPage } from "./checkin.js";
import { ChatPage } from "./chat.js";
import { AnalyticsPage } from "./analytics.js";

const PAGES = { "#/today": TodayPage, "#/checkin": CheckinPage, "#/chat": ChatPage, "#/analytics": AnalyticsPage };
// The management pages load when first opened, so a first visit fetches only what Today needs (and stays under
// the server's rate limit for one address: each module is a request).
const LATER = {
  "#/habits": () => import("./habits.js").then((module) => module.HabitsPage),
  "#/settings": () => import("./settings.js").then((module) => module.SettingsPage),
  "#/conversations": () => import("./conversations.js").then((module) => module.ConversationsPage),
  "#/habit": () => import("./habit_analytics.js").then((module) => module.HabitAnalyticsPage),
};
const main = document.getElementById("main");
const nav = document.getElementById("nav");
const who = document.getElementById("who");
const signOutButton = document.getElementById("sign-out");
const notices = document.getElementById("notices");
const liveState = document.getElementById("live");
let page = null;
let routing = 0;
let signedIn = false;

const live = new Live({
  onState: (text) => {
    liveState.textContent = text;
    document.body.dataset.live = text;
  },
  onEvent: (event) => {
    if (event.type === "habit:reminder" || event.type === "checkin:prompt" || event.type === "chat:notification") {
      notify(event);
    }
    page?.onEvent?.(event);
  },
});

function notify(event) {
  const data = event.data || {};
  const close = h("button", { type: "button", class: "quiet", "aria-label": "Dismiss" }, "×");
  const notice = h("div", { class: "notice", role: "alert" },
    h("p", {}, h("strong", {}, data.title || "Reminder"), " ", data.body || ""), close);
  close.addEventListener("click", () => notice.remove());
  notices.append(notice);
}

function signInPage(message) {
  const username = h("input", { name: "username", autocomplete: "username", required: true, autocapitalize: "none" });
  const password = h("input", { name: "password", type: "password", autocomplete: "current-password", required: true });
  const error = h("p", { class: "error", role: "alert" }, message || "");
  const button = h("button", { type: "submit" }, "Sign in");
  const form = h("form", { class: "card narrow", "aria-labelledby": "sign-in-title" },
    h("h1", { id: "sign-in-title" }, "Sign in to paa"),
    field("User name", username), field("Password", password), error, button);
  form.addEventListener("submit", async (submitted) => {
    submitted.preventDefault();
    button.disabled = true;
    error.textContent = "";
    try {
      await signIn(username.value.trim(), password.value);
    } catch (failure) {
      error.textContent = failure instanceof ApiError ? failure.message : "The server cannot be reached.";
      button.disabled = false;
      password.select();
    }
  });
  show(main, form);
  username.focus();
}

async function route() {
  if (!signedIn) return;
  // "#/chat/12" is the chat page on conversation 12.
  const [, name, detail] = location.hash.match(/^(#\/[a-z]+)(?:\/(\d+))?$/) || [];
  const hash = PAGES[name] || LATER[name] ? name : "#/today";
  for (const link of nav.querySelectorAll("a")) {
    if (link.getAttribute("href") === hash) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  const turn = ++routing;
  const Page = PAGES[hash] || (await LATER[hash]());
  if (turn !== routing) return; // another page was asked for while this one loaded
  page?.leave?.();
  page = new Page(main, detail ? Number(detail) : null);
  await page.enter();
}

onSession(async (access) => {
  const was = signedIn;
  signedIn = Boolean(access);
  nav.hidden = signOutButton.hidden = !signedIn;
  if (signedIn && !was) {
    live.start();
    get("/auth/whoami").then((me) => (who.textContent = me.user.display_name || me.user.username)).catch(() => {});
    await route();
  } else if (!signedIn && was) {
    page?.leave?.();
    page = null;
    who.textContent = "";
    signInPage("You are signed out.");
  }
});

window.addEventListener("hashchange", route);
signOutButton.addEventListener("click", () => signOut().catch(() => {}));

(async () => {
  try {
    if (!(await resume())) signInPage();
  } catch {
    signInPage("The server cannot be reached.");
  }
})();
