// The service worker: keeps the app's own files (the page, scripts, style, icons) so the app opens without a
// connection. paa.api.web serves this file at /sw.js (scope: the whole app) with PAA_SHELL defined above this line:
// the files to keep and a version made from their contents, so an upgraded paa replaces the kept copy.
// It keeps no data and never touches /api/: the pages keep their last data themselves (offline.js, IndexedDB),
// and a request to the API always goes to the server.

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
