// The API client: the access token lives in this module's memory only (never localStorage); the refresh token is in
// an HttpOnly cookie the page cannot read, spent by /api/v1/auth/browser/refresh. See docs/security.md.
// Without a connection, reads answer with the last data kept (offline.js) and writes sent with `send` wait in a
// queue, each with its own Idempotency-Key, until the server has them. See docs/web.md, "Without a connection".

import * as offline from "./offline.js";

const BASE = "/api/v1";
const CSRF = { "X-PAA-CSRF": "1" };
let access = null;
let renewTimer = null;
let refreshing = null;
const sessionListeners = new Set();
let user = null; // the signed-in user's id (the token's subject): whose data offline.js keeps
let reachable = true;
let pending = []; // the user's writes waiting to be sent
let flushing = null;
const connectionListeners = new Set();
const refusalListeners = new Set();

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || `the server answered ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
}

export function onSession(listener) {
  sessionListeners.add(listener);
}

export function token() {
  return access;
}

async function problemOf(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  return new ApiError(response.status, body);
}

function setTokens(answer) {
  access = answer ? answer.access_token : null;
  if (access) setUser(offline.subjectOf(access));
  clearTimeout(renewTimer);
  if (answer) {
    // Renew a minute before the access token expires, so a socket and requests never hold a stale one.
    const seconds = Math.max(answer.expires_in - 60, 10);
    renewTimer = setTimeout(() => refresh().catch(() => setTokens(null)), seconds * 1000);
  }
  for (const listener of sessionListeners) listener(access);
}

async function browserAuth(action, body) {
  const headers = { ...CSRF };
  if (body) headers["Content-Type"] = "application/json";
  const response = await fetch(`${BASE}/auth/browser/${action}`, {
    method: "POST", headers, body: body ? JSON.stringify(body) : undefined, credentials: "same-origin",
  });
  if (!response.ok) throw await problemOf(response);
  return response.status === 204 ? null : response.json();
}

export async function signIn(username, password) {
  setTokens(await browserAuth("login", { username, password }));
}

// The providers this server offers for signing in (GitHub, Google: those it has a client id for); none on failure.
export async function providers() {
  try {
    const response = await fetch(`${BASE}/auth/browser/providers`);
    return response.ok ? await response.json() : [];
  } catch {
    return [];
  }
}

// Sign in with a provider's device flow: the server starts it and keeps the device code in its own cookie; `shown`
// gets the code and the provider's page to approve it on; then the server is asked, once per interval, whether it
// was approved (it polls the provider). Resolves once signed in, or false when `stopped()` says the person gave up.
export async function signInWith(provider, shown, stopped) {
  const device = await browserAuth("oauth/start", { provider });
  shown(device);
  let interval = device.interval;
  const until = Date.now() + device.expires_in * 1000;
  while (Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, interval * 1000));
    if (stopped()) return false;
    const answer = await browserAuth("oauth/poll", { interval });
    if (answer.state === "pending") {
      interval = answer.interval;
      continue;
    }
    setTokens(answer);
    return true;
  }
  throw new ApiError(401, { detail: "The code expired before it was approved: start again." });
}

// Spend the cookie for a new access token. Tabs take turns (a Web Lock where the browser has one): two tabs spending
// the same refresh token at once would look like a stolen token, and the server would end the login.
function refresh() {
  refreshing ||= (async () => {
    const spend = async () => setTokens(await browserAuth("refresh"));
    try {
      if (navigator.locks) await navigator.locks.request("paa-refresh", spend);
      else await spend();
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

// A new access token now (the WebSocket asks when the server refused its token: a tab that slept past its renewal).
export function renew() {
  return refresh().catch((error) => {
    if (error instanceof ApiError && error.status === 401) setTokens(null); // the login ended: sign in again
    throw error;
  });
}

// On a page load: whether the cookie still holds a login.
export async function resume() {
  try {
    await refresh();
    return true;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return false;
    throw error;
  }
}

export async function signOut() {
  try {
    await browserAuth("logout");
  } finally {
    setTokens(null);
    user = null;
    pending = [];
    await offline.forget().catch(() => {}); // nothing of theirs stays in this browser
    tellConnection();
  }
}

// ---- without a connection -------------------------------------------------------------------------------------

// The user whose data is kept and whose queued writes are sent (from the token, or offline from the last sign-in).
export function setUser(id) {
  if (id === user) return Promise.resolve();
  user = id;
  return loadPending();
}

export const signedInUser = () => user;
export const isReachable = () => reachable;
export const waitingWrites = () => pending;

// Called with {reachable, waiting} when the server becomes reachable or not, or the queue changes.
export function onConnection(listener) {
  connectionListeners.add(listener);
}

// Called with (item, error) when the server refused a write that had waited in the queue (a 4xx: it will never be
// accepted as it is, so it is dropped).
export function onRefused(listener) {
  refusalListeners.add(listener);
}

function tellConnection() {
  for (const listener of connectionListeners) listener({ reachable, waiting: pending });
}

function connected(ok) {
  if (ok === reachable) return;
  reachable = ok;
  tellConnection();
}

export async function loadPending() {
  pending = user === null ? [] : await offline.waiting(user).catch(() => []);
  tellConnection();
}

// Worth sending again later: no answer at all, or one offline.js's rule (the service worker's too) calls passing.
function retryable(error) {
  return !(error instanceof ApiError) || offline.worthRetrying(error.status);
}

async function drop(item) {
  await offline.dequeue(item.key).catch(() => {});
  pending = pending.filter((other) => other.key !== item.key);
  tellConnection();
}

async function deliver(item) {
  const response = await request(item.method, item.path, item.body, { idempotencyKey: item.key });
  const result = response.status === 204 ? null : await response.json();
  await drop(item);
  return result;
}

// A write that must not be lost (a habit's log or skip, a check-in): kept in the queue first, then sent. Answers
// {result} when the server has it, {queued: true} when it waits for the connection; a refusal (4xx) is thrown.
// The key goes with every attempt, so a request that arrived before the connection dropped is not written twice.
export async function send(method, path, body, label) {
  const item = { key: offline.newKey(), user, method, path, body, label, at: Date.now() };
  try {
    await offline.enqueue(item);
    pending = [...pending, item];
    tellConnection();
  } catch {
    // No IndexedDB (a private window may refuse it): send it as it is.
  }
  try {
    return { result: await deliver(item) };
  } catch (error) {
    if (!retryable(error)) {
      await drop(item);
      throw error;
    }
    askForSync();
    return { queued: true };
  }
}

// Background Sync where the browser has it (Chromium): the service worker sends the queue once the connection
// returns, even if every page of the app was closed by then (sw.js). The pages' own sending stays (other browsers).
function askForSync() {
  navigator.serviceWorker?.ready.then((worker) => worker.sync?.register("paa-queue")).catch(() => {});
}

// Send the writes that waited, oldest first, one tab at a time; stop at the first that cannot be sent yet.
export function flush() {
  if (!access || user === null) return Promise.resolve(0);
  flushing ||= (async () => {
    let sent = 0;
    const go = async () => {
      for (const item of await offline.waiting(user)) {
        try {
          await deliver(item);
          sent += 1;
        } catch (error) {
          if (retryable(error)) break;
          await drop(item);
          for (const listener of refusalListeners) listener(item, error);
        }
      }
    };
    try {
      if (navigator.locks) await navigator.locks.request("paa-queue", go);
      else await go();
    } finally {
      flushing = null;
      await loadPending();
    }
    return sent;
  })();
  return flushing;
}

// A read: the server's answer, kept for next time; without a connection, the answer kept last time (if any).
export async function get(path) {
  try {
    const body = await json("GET", path);
    if (user !== null) offline.keep(user, path, body).catch(() => {});
    return body;
  } catch (error) {
    if (error instanceof ApiError || user === null) throw error;
    const found = await offline.kept(user, path).catch(() => undefined);
    if (found === undefined) throw error;
    return found;
  }
}

// One API call as the signed-in user; an expired access token is renewed once and the call sent again. The body is
// sent as JSON, or as it is (a Blob) when `contentType` names its type, or as multipart (a FormData: the browser
// writes its Content-Type with the boundary).
export async function request(method, path, body, { accept, contentType, idempotencyKey } = {}) {
  const multipart = body instanceof FormData;
  const send = async () => {
    const headers = { Authorization: `Bearer ${access}` };
    if (body !== undefined && !multipart) headers["Content-Type"] = contentType || "application/json";
    if (accept) headers.Accept = accept;
    if (idempotencyKey) headers["Idempotency-Key"] = idempotencyKey;
    const sent = body === undefined || contentType || multipart ? body : JSON.stringify(body);
    try {
      const answer = await fetch(`${BASE}${path}`, { method, headers, body: sent });
      connected(true);
      return answer;
    } catch (error) {
      connected(false); // the server cannot be reached (no network, or it is down)
      throw error;
    }
  };
  let response = await send();
  if (response.status === 401 && access) {
    try {
      await refresh();
    } catch (error) {
      if (!(error instanceof ApiError)) throw error; // no connection to renew it: the write stays queued
      setTokens(null);
      throw await problemOf(response);
    }
    response = await send();
  }
  if (!response.ok) throw await problemOf(response);
  return response;
}

export async function json(method, path, body) {
  const response = await request(method, path, body);
  return response.status === 204 ? null : response.json();
}

