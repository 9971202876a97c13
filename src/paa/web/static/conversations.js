// Conversations (#/conversations): earlier conversations, opened in the chat (#/chat/<id>) or deleted after a
// confirmation; a search through every message; and what the assistant remembers, searched and forgotten.

import { get, json } from "./api.js";
import { field, h, show } from "./dom.js";
import { confirmAction, failureText, statusLine, when } from "./ui.js";

const KINDS = { fact: "fact", message: "chat message", checkin: "check-in", attachment: "file" };
const ROLES = { user: "you", assistant: "paa", other: "someone else" };

function excerpt(text, length = 240) {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > length ? `${flat.slice(0, length - 1)}…` : flat;
}

// A search form: one labelled box and its button; `run` gets the trimmed words (an empty box runs `run("")`).
function searchForm(label, button, run) {
  const box = h("input", { type: "search", autocomplete: "off", maxlength: 1000 });
  const form = h("form", { class: "search", role: "search", "aria-label": label }, field(label, box),
    h("button", { type: "submit" }, button));
  form.addEventListener("submit", (submitted) => {
    submitted.preventDefault();
    run(box.value.trim());
  });
  return form;
}

export class ConversationsPage {
  constructor(main) {
    this.main = main;
    this.status = statusLine();
    this.found = h("div", { "aria-live": "polite" });
    this.list = h("div");
    this.memories = h("div", { "aria-live": "polite" });
    this.memoryQuery = "";
  }

  async enter() {
    document.title = "Conversations · paa";
    show(this.main, h("h1", {}, "Conversations"), this.status,
      h("section", { class: "card", "aria-labelledby": "conversations-title" },
        h("h2", { id: "conversations-title" }, "Your conversations"),
        searchForm("Search messages", "Search", (words) => this.search(words)), this.found, this.list),
      h("section", { class: "card", "aria-labelledby": "memories-title" },
        h("h2", { id: "memories-title" }, "Memories"),
        h("p", { class: "hint" }, "What the assistant remembers and may bring up: facts you told it, and your " +
          "messages and check-ins. Forgetting one removes it for good."),
        searchForm("Search memories", "Search", (words) => {
          this.memoryQuery = words;
          this.loadMemories();
        }), this.memories));
    await Promise.all([this.reload(), this.loadMemories()]);
  }

  onEvent(event) {
    const areas = event.data?.areas || [];
    if (areas.includes("chat") || areas.includes("memory")) {
      this.reload();
      if (!this.memoryQuery) this.loadMemories();
    }
  }

  async reload() {
    try {
      this.render(await get("/chat/history?limit=100"));
    } catch (error) {
      this.status.textContent = failureText(error);
    }
  }

  render(conversations) {
    if (!conversations.length) {
      show(this.list, h("p", {}, "No conversations yet: start one in the ", h("a", { href: "#/chat" }, "Chat"), "."));
      return;
    }
    show(this.list, h("ul", { class: "rows", "aria-label": "Conversations" }, conversations.map((item) => {
      const title = item.title || "(untitled)";
      return h("li", { "data-conversation": item.id },
        h("span", { class: "grow" }, h("a", { href: `#/chat/${item.id}` }, title), h("br"),
          h("small", { class: "facts" }, `${item.messages} messages · ${when(item.updated_at)}`),
          item.summary ? h("small", { class: "facts block" }, excerpt(item.summary)) : null),
        h("button", { type: "button", class: "danger", "aria-label": `Delete the conversation ${title}`,
          onclick: () => this.remove(item.id, title) }, "Delete"));
    })));
  }

  async remove(id, title) {
    const sure = await confirmAction(`Delete the conversation "${title}", its messages, their files and what ` +
      "memory kept of them? This cannot be undone.", "Delete");
    if (!sure) return;
    try {
      await json("DELETE", `/chat/conversations/${id}`);
      this.status.textContent = `Deleted the conversation "${title}".`;
      show(this.found);
    } catch (error) {
      this.status.textContent = failureText(error);
    }
    await this.reload();
    this.list.querySelector("a, button")?.focus();
  }

  async search(words) {
    if (!words) {
      show(this.found);
      return;
    }
    try {
      const hits = await get(`/chat/search?q=${encodeURIComponent(words)}`);
      show(this.found, h("h3", {}, hits.length ? `Messages with "${words}"` : `No message has "${words}".`),
        hits.length ? h("ul", { class: "rows", "aria-label": "Messages found" }, hits.map((hit) => h("li", {},
          h("span", { class: "grow" }, h("a", { href: `#/chat/${hit.conversation_id}` },
            hit.conversation_title || "(untitled)"), h("br"),
          h("small", { class: "facts" }, `${ROLES[hit.role] || hit.role} · ${when(hit.created_at)}` +
            (hit.match === "memory" ? " · by meaning" : "")), h("br"),
          h("span", {}, excerpt(hit.content)))))) : null);
    } catch (error) {
      show(this.found, h("p", { class: "error" }, failureText(error)));
    }
  }

  async loadMemories() {
    const query = this.memoryQuery;
    try {
      const path = query ? `/memory/search?q=${encodeURIComponent(query)}&limit=20` : "/memory?limit=30";
      const found = await get(path);
      if (query !== this.memoryQuery) return; // a newer search is on its way
      const items = found.map((item) => ({ id: item.memory_id ?? item.id, kind: item.kind, content: item.content,
        created: item.created_at, relevance: item.relevance }));
      show(this.memories,
        h("h3", {}, query ? (items.length ? `Memories about "${query}"` : `No memory matches "${query}".`)
          : "The latest memories"),
        items.length ? h("ul", { class: "rows", "aria-label": "Memories" }, items.map((item) => h("li", {},
          h("span", { class: "grow" }, excerpt(item.content), h("br"),
            h("small", { class: "facts" }, `${KINDS[item.kind] || item.kind} · ${when(item.created)}` +
              (item.relevance !== undefined ? ` · relevance ${item.relevance}` : ""))),
          h("button", { type: "button", class: "danger", "aria-label": `Forget: ${excerpt(item.content, 60)}`,
            onclick: () => this.forget(item) }, "Forget")))) : query ? null : h("p", {}, "Nothing remembered yet."));
    } catch (error) {
      show(this.memories, h("p", { class: "error" }, failureText(error)));
    }
  }

  async forget(item) {
    const sure = await confirmAction(`Forget "${excerpt(item.content, 120)}" for good?`, "Forget");
    if (!sure) return;
    try {
      await json("DELETE", `/memory/${item.id}`);
      this.status.textContent = "Forgotten.";
    } catch (error) {
      this.status.textContent = failureText(error);
    }
    await this.loadMemories();
  }
}
