// The service worker: keeps the app's own files (the page, scripts, style, icons) so the app opens without a
// connection. paa.api.web serves this file at /sw.js (scope: the whole app) with PAA_SHELL defined above this line:
// the files to keep and a version made from their contents, so an upgraded paa replaces the kept copy.
// It keeps no data and never answers for /api/: the pages keep their last data themselves (offline.js, IndexedDB),
// and a request to the API always goes to the server. With Background Sync (Chromium), it also sends the writes a
// page queued without a connection once the browser is back online, page open or not (below). It is a module
// worker (app.js registers it with type "module"): the queue's storage and its rules come from the page's own
// offline.js, so the worker and the pages cannot drift apart on which writes wait and which answers drop one.

import * as offline from "/app/offline.js";

/* global PAA_SHELL */
const CACHE = `paa-shell-${PAA_SHELL.version}`;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(PAA_SHELL.files)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith("paa-shell-") && name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

function isShell(url) {
  return url.origin === self.location.origin && (url.pathname === "/" || url.pathname.startsWith("/app/"));
}

// The network first (the server answers 304 when nothing changed, so an upgrade is seen at once); the kept copy when
// the server cannot be reached.
async function answer(request) {
  const cache = await caches.open(CACHE);
  try {
    const fresh = await fetch(request);
    if (fresh.ok) await cache.put(request, fresh.clone());
    return fresh;
  } catch (error) {
    const kept = await cache.match(request, { ignoreSearch: true });
    if (kept) return kept;
    throw error;
  }
}

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || !isShell(url)) return;
  event.respondWith(answer(event.request));
});

// A reminder shown as a system notification (app.js): a click brings an open window of the app forward, or opens one.
self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil((async () => {
    const [open] = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    if (open) await open.focus();
    else await self.clients.openWindow("/");
  })());
});

// ---- Background Sync: the queue of writes (offline.js's), sent when the connection returns ----------------------
// A page registers the sync "paa-queue" when a write waits (api.js). The browser fires it once it is online, even
// with no page of the app open. The worker has no access token (the page keeps its own in memory only), so it spends
// the refresh cookie for one, taking turns with the pages (the same Web Locks), and sends each write of that token's
// user, oldest first, with the write's own Idempotency-Key: a write a page sent meanwhile is answered again, not
// written again. A page that is open hears what happened (a message) and shows it; when no page is open, a refused
// write is dropped as a page would drop it.

const SYNC_TAG = "paa-queue";
const CSRF = { "X-PAA-CSRF": "1" };

function taking(name, act) {
  return self.navigator.locks ? self.navigator.locks.request(name, act) : act();
}

async function tell(message) {
  for (const client of await self.clients.matchAll({ type: "window" })) client.postMessage(message);
}

async function sendWaiting() {
  // Nothing waits (or no IndexedDB here): the refresh cookie is not spent for nothing.
  if (!(await offline.waitingCount().catch(() => 0))) return;
  const tokens = await taking("paa-refresh", async () => {
    const response = await fetch("/api/v1/auth/browser/refresh", {
      method: "POST", headers: CSRF, credentials: "same-origin",
    });
    if (response.status === 401) return null; // signed out here: the writes wait for the next sign-in
    if (!response.ok) throw new Error(`refresh answered ${response.status}`); // the browser tries the sync again
    return response.json();
  });
  if (!tokens) return;
  const user = offline.subjectOf(tokens.access_token);
  let sent = 0;
  await taking("paa-queue", async () => {
    for (const item of await offline.waiting(user)) {
      const headers = { Authorization: `Bearer ${tokens.access_token}`, "Idempotency-Key": item.key };
      if (item.body !== undefined) headers["Content-Type"] = "application/json";
      const response = await fetch(`/api/v1${item.path}`, {
        method: item.method, headers, body: item.body === undefined ? undefined : JSON.stringify(item.body),
      });
      if (response.ok) {
        await offline.dequeue(item.key);
        sent += 1;
        continue;
      }
      if (offline.worthRetrying(response.status)) {
        throw new Error(`the server answered ${response.status}`); // later, by the browser's own retry
      }
      let detail = `the server answered ${response.status}`;
      try {
        detail = (await response.json()).detail || detail;
      } catch {
        // not a problem document
      }
      await offline.dequeue(item.key); // refused for good, as a page drops it (api.js)
      await tell({ type: "paa:refused", label: item.label, detail });
    }
  });
  if (sent) await tell({ type: "paa:sent", sent });
}

self.addEventListener("sync", (event) => {
  if (event.tag === SYNC_TAG) event.waitUntil(sendWaiting());
});
