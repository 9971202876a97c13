// What the app keeps in the browser for working without a connection, in IndexedDB (never localStorage): the last
// answer of each page's reads, the writes waiting to be sent (each with its Idempotency-Key), and who signed in
// here last. Everything is the signed-in user's and is removed when they sign out. No token is ever kept.

const DB_NAME = "paa";
const STORES = ["data", "queue", "meta"];
let opening = null;

function database() {
  opening ||= new Promise((resolve, reject) => {
    const asked = indexedDB.open(DB_NAME, 1);
    asked.onupgradeneeded = () => {
      const db = asked.result;
      if (!db.objectStoreNames.contains("data")) db.createObjectStore("data", { keyPath: "path" });
      if (!db.objectStoreNames.contains("queue")) db.createObjectStore("queue", { keyPath: "key" });
      if (!db.objectStoreNames.contains("meta")) db.createObjectStore("meta", { keyPath: "name" });
    };
    asked.onsuccess = () => resolve(asked.result);
    asked.onerror = () => reject(asked.error);
  });
  return opening;
}

async function run(store, mode, act) {
  const db = await database();
  return new Promise((resolve, reject) => {
    const transaction = db.transaction(store, mode);
    const asked = act(transaction.objectStore(store));
    transaction.oncomplete = () => resolve(asked?.result);
    transaction.onerror = () => reject(transaction.error);
    transaction.onabort = () => reject(transaction.error);
  });
}

// A key for one write: random, made here, sent with every attempt of that write.
export function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16)); // randomUUID needs a secure origin; this does not
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

// The user signed in here last ({id, name}), so the app can open without a connection; null when signed out.
export const lastUser = () => run("meta", "readonly", (store) => store.get("user")).then((found) => found?.user ?? null);
export const setLastUser = (user) => run("meta", "readwrite", (store) => store.put({ name: "user", user }));

// Whether this browser also shows reminders as system notifications (turned on here, in Settings).
export const systemNotifications = () =>
  run("meta", "readonly", (store) => store.get("notifications")).then((found) => Boolean(found?.on));
export const setSystemNotifications = (on) => run("meta", "readwrite", (store) => store.put({ name: "notifications", on }));

export function keep(user, path, body) {
  return run("data", "readwrite", (store) => store.put({ path, user, body }));
}

export async function kept(user, path) {
  const found = await run("data", "readonly", (store) => store.get(path));
  return found && found.user === user ? found.body : undefined;
}

export const enqueue = (item) => run("queue", "readwrite", (store) => store.put(item));
export const dequeue = (key) => run("queue", "readwrite", (store) => store.delete(key));

// The user's writes waiting to be sent, oldest first.
export async function waiting(user) {
  const all = (await run("queue", "readonly", (store) => store.getAll())) || [];
  return all.filter((item) => item.user === user).sort((a, b) => a.at - b.at);
}

// How many writes wait, whoever's they are.
export const waitingCount = () => run("queue", "readonly", (store) => store.count());

// Signing out: nothing of the user's stays in this browser.
export async function forget() {
  for (const store of STORES) await run(store, "readwrite", (found) => found.clear());
}

// ---- shared with the service worker (sw.js imports this module), so the page and the worker follow one rule ----

// The user a token speaks for (its `sub` claim): whose kept data and queued writes are whose; never trusted for
// anything else (the server checks the token). Null for a token that is not a JWT.
export function subjectOf(jwt) {
  try {
    const payload = jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return Number(JSON.parse(atob(payload)).sub);
  } catch {
    return null;
  }
}

// Whether a queued write the server answered with this status is worth sending again later: the server was busy or
// down, or the login needs renewing. Any other refusal (4xx) is final, and the write is dropped.
export function worthRetrying(status) {
  return status >= 500 || [401, 408, 429].includes(status);
}
