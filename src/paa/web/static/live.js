// Live events over /api/v1/ws: the access token goes in the first message (never the URL); a lost socket reconnects
// and resumes from the last event it saw, so nothing is missed. Protocol: docs/server.md, "WebSocket events".

import { onSession, renew, token } from "./api.js";

const RETRY_MAX_SECONDS = 15;

export class Live {
  constructor({ onEvent, onState }) {
    this.onEvent = onEvent;
    this.onState = onState;
    this.socket = null;
    this.lastId = null;
    this.retry = 1;
    this.timer = null;
    this.stopped = true;
    onSession((fresh) => {
      if (!fresh) this.stop();
      else if (this.socket && this.socket.readyState === WebSocket.OPEN) {
        this.socket.send(JSON.stringify({ type: "auth", token: fresh })); // renewed before the old one expires
      }
    });
  }

  start() {
    this.stopped = false;
    if (!this.socket) this.open();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.socket) this.socket.close(1000);
    this.socket = null;
    this.lastId = null;
    this.onState("");
  }

  open() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/api/v1/ws`);
    this.socket = socket;
    this.onState("connecting…");
    socket.addEventListener("open", () => {
      const hello = { type: "auth", token: token() };
      if (this.lastId !== null) hello.last_event_id = this.lastId;
      socket.send(JSON.stringify(hello));
    });
    socket.addEventListener("message", (message) => this.receive(socket, message.data));
    socket.addEventListener("close", (closed) => {
      if (this.socket !== socket) return;
      this.socket = null;
      if (this.stopped) return;
      this.onState("offline: reconnecting");
      // 4401: the token was refused (expired while the tab slept, say): get a fresh one before trying again.
      const ready = closed.code === 4401 ? renew().catch(() => {}) : Promise.resolve();
      ready.then(() => {
        if (this.stopped) return;
        this.timer = setTimeout(() => this.open(), this.retry * 1000);
        this.retry = Math.min(this.retry * 2, RETRY_MAX_SECONDS);
      });
    });
  }

  receive(socket, text) {
    let message;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (message.type === "ping") {
      socket.send(JSON.stringify({ type: "pong" }));
      return;
    }
    if (message.type === "ready") {
      const resumed = this.lastId !== null;
      this.retry = 1;
      if (this.lastId === null) this.lastId = message.last_event_id;
      this.onState("live");
      if (resumed) return; // the events missed while away come next
      this.onEvent({ type: "ready" });
      return;
    }
    if (message.type === "resync") {
      this.lastId = message.last_event_id;
      this.onEvent({ type: "resync" });
      return;
    }
    if (typeof message.id === "number") this.lastId = message.id;
    this.onEvent(message);
  }
}
