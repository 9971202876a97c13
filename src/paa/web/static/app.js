// The browser app's entry: sign-in, the page router (#/today, #/checkin, #/chat, #/analytics; #/habits, #/settings,
// #/conversations and #/habit/<id> loaded when first opened), live events and notifications.

import {
  ApiError, flush, get, loadPending, onConnection, onRefused, onSession, providers, resume, setUser, signIn, signInWith,
  signOut, waitingWrites,
} from "./api.js";
import { lastUser, setLastUser, systemNotifications } from "./offline.js";
import { confirmAction } from "./ui.js";
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
let offlineMode = false; // opened without a connection, from what this browser kept: no token until the server answers
let socketText = "";
let waitingCount = 0;
const RETRY_OFFLINE_MS = 15_000;

// The header's status: the WebSocket's state (or "offline"), and how many writes wait to be sent.
function showState() {
  const parts = [offlineMode ? "offline" : socketText];
  if (waitingCount) parts.push(`${waitingCount} waiting to be sent`);
  liveState.textContent = parts.filter(Boolean).join(" · ");
  document.body.dataset.live = offlineMode ? "offline" : socketText;
}

const live = new Live({
  onState: (text) => {
    socketText = text;
    showState();
  },
  onEvent: (event) => {
    if (event.type === "ready") sendWaiting(); // the server is reachable again
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
  if (event.type) notifySystem(event, data).catch(() => {});
}

// The same reminder as a system notification too, where the person turned them on here (Settings) and the browser
// allows them: shown by the service worker (its click opens the app), tagged with the event's id so several open tabs
// show it once.
async function notifySystem(event, data) {
  if (!("Notification" in window) || Notification.permission !== "granted" || !(await systemNotifications())) return;
  const options = { body: data.body || "", tag: `paa-event-${event.id ?? Date.now()}`, icon: "/app/icon-192.png" };
  const worker = await navigator.serviceWorker?.getRegistration();
  if (worker) await worker.showNotification(data.title || "Reminder", options);
  else new Notification(data.title || "Reminder", options);
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
  offerProviders(form, error);
}

// "Sign in with GitHub/Google", for the providers the server has configured only: the page shows the code to type on
// the provider's page (a link, opened by the person; the app itself asks no other host) and waits for the approval.
async function offerProviders(form, error) {
  const offered = await providers();
  if (!offered.length || !form.isConnected) return;
  const waiting = h("div", { "aria-live": "polite" });
  const buttons = offered.map((provider) => {
    const button = h("button", { type: "button" }, `Sign in with ${provider.title}`);
    button.addEventListener("click", async () => {
      let stopped = false;
      const cancel = h("button", { type: "button", class: "quiet" }, "Cancel");
      cancel.addEventListener("click", () => {
        stopped = true;
        show(waiting);
        for (const other of buttons) other.disabled = false;
      });
      for (const other of buttons) other.disabled = true;
      error.textContent = "";
      try {
        await signInWith(provider.name, (device) => {
          const page = device.verification_uri_complete || device.verification_uri;
          show(waiting, h("p", {}, "Open ", h("a", { href: page, target: "_blank", rel: "noopener noreferrer" }, page),
            " and enter the code ", h("strong", { class: "code" }, device.user_code), `. Waiting for you to approve ` +
            `paa on ${provider.title}…`), cancel);
        }, () => stopped || !form.isConnected);
      } catch (failure) {
        show(waiting);
        for (const other of buttons) other.disabled = false;
        error.textContent = failure instanceof ApiError ? failure.message : "The server cannot be reached.";
      }
    });
    return button;
  });
  form.append(h("div", { class: "providers", role: "group", "aria-label": "Other ways to sign in" }, ...buttons),
    waiting);
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

// The writes made without a connection, sent now that there may be one; the page then shows the server's data.
async function sendWaiting() {
  if (!waitingWrites().length) return;
  const sent = await flush().catch(() => 0);
  if (sent) page?.onEvent?.({ type: "resync" });
}

onConnection(({ waiting }) => {
  const changed = waiting.length !== waitingCount;
  waitingCount = waiting.length;
  showState();
  if (changed) page?.onEvent?.({ type: "waiting" });
});

onRefused((item, error) => {
  notify({ data: { title: "Not sent", body: `${item.label}: ${error.message}` } });
});

window.addEventListener("online", () => (offlineMode ? reconnect() : sendWaiting()));
setInterval(() => (offlineMode ? reconnect() : waitingCount && sendWaiting()), RETRY_OFFLINE_MS);

// Opened offline: ask the server again for a token (the cookie); with one, the app goes on as after a sign-in.
async function reconnect() {
  try {
    if (!(await resume())) {
      offlineMode = signedIn = false;
      showState();
      signInPage("Your sign-in has ended: sign in again (what waits to be sent is kept).");
    }
  } catch {
    // still no connection
  }
}

// No connection at load: the last signed-in user's kept data, read-only but for the queued writes.
async function openOffline() {
  const me = await lastUser().catch(() => null);
  if (!me) return false;
  offlineMode = signedIn = true;
  await setUser(me.id);
  nav.hidden = signOutButton.hidden = false;
  who.textContent = me.name;
  showState();
  await route();
  return true;
}

onSession(async (access) => {
  const was = signedIn && !offlineMode;
  const wasOffline = offlineMode;
  signedIn = Boolean(access);
  if (signedIn) offlineMode = false;
  nav.hidden = signOutButton.hidden = !signedIn;
  if (signedIn && !was) {
    showState();
    live.start();
    get("/auth/whoami").then((me) => {
      const name = me.user.display_name || me.user.username;
      who.textContent = name;
      setLastUser({ id: me.user.id, name }).catch(() => {});
    }).catch(() => {});
    sendWaiting();
    if (wasOffline) page?.onEvent?.({ type: "resync" });
    else await route();
  } else if (!signedIn && was) {
    page?.leave?.();
    page = null;
    who.textContent = "";
    signInPage("You are signed out.");
  }
});

window.addEventListener("hashchange", route);
signOutButton.addEventListener("click", async () => {
  await flush().catch(() => 0);
  const left = waitingWrites().length;
  if (left && !(await confirmAction(`${left} change${left === 1 ? "" : "s"} made here did not reach the server yet. ` +
    "Signing out removes them from this browser.", "Sign out and lose them"))) return;
  if (offlineMode) {
    offlineMode = false;
    showState();
  }
  signOut().catch(() => {});
});

if ("serviceWorker" in navigator) {
  // A module worker: it imports offline.js, the pages' own queue and its rules.
  navigator.serviceWorker.register("/sw.js", { type: "module" }).catch(() => {});
  // The service worker sent queued writes itself (Background Sync): show the server's data and what it refused.
  navigator.serviceWorker.addEventListener("message", async ({ data }) => {
    if (data?.type === "paa:sent") {
      await loadPending();
      page?.onEvent?.({ type: "resync" });
    } else if (data?.type === "paa:refused") {
      await loadPending();
      notify({ data: { title: "Not sent", body: `${data.label}: ${data.detail}` } });
    }
  });
}

(async () => {
  try {
    if (!(await resume())) signInPage();
  } catch {
    if (!(await openOffline())) signInPage("The server cannot be reached.");
  }
})();
