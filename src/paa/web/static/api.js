// The API client: the access token lives in this module's memory only (never localStorage); the refresh token is in
// an HttpOnly cookie the page cannot read, spent by /api/v1/auth/browser/refresh. See docs/security.md.

const BASE = "/api/v1";
const CSRF = { "X-PAA-CSRF": "1" };
let access = null;
let renewTimer = null;
let refreshing = null;
const sessionListeners = new Set();

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
  }
}

// One API call as the signed-in user; an expired access token is renewed once and the call sent again. The body is
// sent as JSON, or as it is (a Blob) when `contentType` names its type, or as multipart (a FormData: the browser
// writes its Content-Type with the boundary).
export async function request(method, path, body, { accept, contentType } = {}) {
  const multipart = body instanceof FormData;
  const send = () => {
    const headers = { Authorization: `Bearer ${access}` };
    if (body !== undefined && !multipart) headers["Content-Type"] = contentType || "application/json";
    if (accept) headers.Accept = accept;
    const sent = body === undefined || contentType || multipart ? body : JSON.stringify(body);
    return fetch(`${BASE}${path}`, { method, headers, body: sent });
  };
  let response = await send();
  if (response.status === 401 && access) {
    try {
      await refresh();
    } catch {
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

export const get = (path) => json("GET", path);
