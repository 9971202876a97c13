// Chat: the reply streams in as Server-Sent Events; a tool that changes or deletes data waits for the user's yes.
// Files (the Attach button, or dropped on the form) are uploaded at once, wait as chips, and go with the next message.

import { ApiError, get, request } from "./api.js";
import { field, h, show } from "./dom.js";
import { markdown } from "./markdown.js";
import { microphoneButton } from "./voice.js";

// Read an SSE body as {event, data} pairs (EventSource cannot POST or send the Authorization header).
async function* events(response) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let name = "message";
      const data = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) name = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
      }
      if (data.length) yield { event: name, data: JSON.parse(data.join("\n")) };
    }
  }
}

const KINDS = { image: "image", pdf: "PDF", text: "text" };
const SAID = new Set(["user", "assistant", "other"]);  // the roles whose words a conversation shows

function describe(file) {
  const size = file.size < 1000 ? `${file.size} B` : file.size < 1e6 ? `${Math.round(file.size / 1000)} KB`
    : `${(file.size / 1e6).toFixed(1)} MB`;
  const pages = file.pages == null ? "" : `, ${file.pages} page${file.pages === 1 ? "" : "s"}`;
  return `${KINDS[file.kind] || file.kind}${pages}, ${size}`;
}

// The download needs the Authorization header a plain link cannot send: fetched, then saved from a Blob URL.
async function download(file) {
  const response = await request("GET", `/chat/attachments/${file.id}`);
  const url = URL.createObjectURL(await response.blob());
  const save = h("a", { href: url, download: file.name, hidden: true });
  document.body.append(save);
  save.click();
  save.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

function fileLink(file) {
  const link = h("a", { href: `/api/v1/chat/attachments/${file.id}`, download: file.name }, file.name);
  link.addEventListener("click", (clicked) => {
    clicked.preventDefault();
    download(file).catch(() => { link.title = "The file could not be fetched."; });
  });
  return h("li", {}, link, ` (${describe(file)})`);
}

export class ChatPage {
  constructor(main, conversation) {
    this.main = main;
    this.conversation = conversation || null;
    this.log = h("ol", { class: "chat-log", "aria-label": "Conversation", "aria-live": "polite" });
    this.status = h("p", { class: "status", role: "status" });
    this.input = h("textarea", { rows: 2, required: true, maxlength: 20000 });
    this.send = h("button", { type: "submit", class: "primary" }, "Send");
    this.files = []; // uploads ({id, name, kind, size, pages}) waiting for the next message
    this.uploading = 0;
    this.chips = h("ul", { class: "chips", "aria-label": "Attached files", hidden: true });
    this.refused = h("p", { class: "error", role: "alert" });
    this.picker = h("input", { type: "file", multiple: true, hidden: true, "aria-label": "Files to attach" });
    this.picker.addEventListener("change", () => {
      this.upload([...this.picker.files]);
      this.picker.value = "";
    });
  }

  async enter() {
    document.title = "Chat · paa";
    const mic = microphoneButton({
      heard: (text) => {
        this.input.value = this.input.value.trim() ? `${this.input.value.trim()} ${text}` : text;
        this.input.focus();
      },
      tell: (text) => { this.status.textContent = text; },
    });
    const attach = h("button", { type: "button", title: "Attach images, PDFs or text files (or drop them here)",
      onclick: () => this.picker.click() }, "Attach");
    const form = h("form", { class: "chat-form" }, field("Message", this.input), attach, this.picker, mic, this.send);
    form.addEventListener("submit", (submitted) => {
      submitted.preventDefault();
      const text = this.input.value.trim();
      if ((!text && !this.files.length) || this.uploading) return;
      this.input.value = "";
      this.say(text);
    });
    form.addEventListener("dragover", (dragged) => {
      if (!dragged.dataTransfer?.types.includes("Files")) return;
      dragged.preventDefault(); // allows the drop
      form.classList.add("dropping");
    });
    form.addEventListener("dragleave", () => form.classList.remove("dropping"));
    form.addEventListener("drop", (dropped) => {
      dropped.preventDefault();
      form.classList.remove("dropping");
      this.upload([...(dropped.dataTransfer?.files || [])]);
    });
    this.input.addEventListener("keydown", (key) => {
      if (key.key === "Enter" && !key.shiftKey) {
        key.preventDefault();
        form.requestSubmit();
      }
    });
    const fresh = h("button", { type: "button", onclick: () => {
      this.conversation = null;
      show(this.log);
      if (location.hash !== "#/chat") history.replaceState(null, "", "#/chat");
    } }, "New conversation");
    show(this.main, h("div", { class: "head" }, h("h1", {}, "Chat"), fresh), this.log, this.status, form, this.chips,
      this.refused);
    if (this.conversation) await this.load();
    this.input.focus();
  }

  // An earlier conversation (a check-in's follow-up, say): its words, without the tool rounds.
  async load() {
    try {
      const conversation = await get(`/chat/history?conversation_id=${this.conversation}`);
      for (const message of conversation.messages) {
        const files = message.attachments || [];
        if ((message.content || files.length) && SAID.has(message.role)) {
          const formatted = message.role === "assistant" && !message.speaker;  // paa's own replies are Markdown
          this.bubble(message.role, message.content, { formatted, files, speaker: message.speaker });
        }
      }
    } catch (error) {
      this.conversation = null;
      this.status.textContent = error instanceof ApiError ? error.message : "The server cannot be reached.";
    }
  }

  // The assistant's words as Markdown once complete; while a reply streams in it grows as plain text.
  // An imported conversation names who said each message (`speaker`); a third person's messages are role "other".
  bubble(role, text, { formatted = false, files = [], speaker = null } = {}) {
    const body = h("div", { class: "text" }, formatted ? markdown(text) : text);
    if (formatted) body.classList.add("formatted");
    const who = speaker || { user: "You", assistant: "paa" }[role] || "Someone else";
    this.log.append(h("li", { class: `message ${role}` }, h("span", { class: "who" }, who),
      body, files.length ? h("ul", { class: "attachments", "aria-label": "Attachments" }, files.map(fileLink)) : null));
    body.scrollIntoView({ block: "end" });
    return body;
  }

  async say(text) {
    const files = this.files;
    this.files = [];
    this.showFiles();
    this.bubble("user", text, { files });
    const body = { message: text };
    if (files.length) body.attachments = files.map((file) => file.id);
    if (this.conversation) body.conversation_id = this.conversation;
    await this.stream("/chat/message", body);
  }

  // Each file goes to the server at once (checked there: a refused one is a line under the form, the rest go on).
  async upload(files) {
    this.refused.textContent = "";
    for (const file of files) {
      const form = new FormData();
      form.append("file", file, file.name);
      this.uploading += 1;
      this.send.disabled = true;
      try {
        const response = await request("POST", "/chat/attachments", form);
        this.files.push(await response.json());
      } catch (error) {
        this.refused.textContent = error instanceof ApiError ? error.message : "The server cannot be reached.";
      } finally {
        this.uploading -= 1;
        this.send.disabled = this.uploading > 0;
      }
      this.showFiles();
    }
  }

  showFiles() {
    this.input.required = !this.files.length; // files alone may be sent
    this.chips.hidden = !this.files.length;
    show(this.chips, this.files.map((file) => {
      const drop = h("button", { type: "button", class: "chip-remove", "aria-label": `Remove ${file.name}`,
        onclick: () => {
          this.files = this.files.filter((kept) => kept !== file);
          this.showFiles();
          this.input.focus();
        } }, "×");
      return h("li", { class: "chip" }, `${file.name} (${describe(file)})`, drop);
    }));
  }

  async stream(path, body) {
    this.send.disabled = true;
    this.status.textContent = "paa is answering…";
    let reply = null;
    const finish = () => {
      if (reply) {
        reply.replaceChildren(...markdown(reply.textContent));
        reply.classList.add("formatted");
      }
      reply = null;
    };
    try {
      const response = await request("POST", path, body, { accept: "text/event-stream" });
      for await (const { event, data } of events(response)) {
        if (event === "delta") {
          reply ||= this.bubble("assistant", "");
          reply.append(data.text);
        } else if (event === "notice") {
          this.bubble("notice", data.text);
        } else if (event === "tool" && data.state === "finished") {
          finish();
          this.bubble("tool", `${data.ok ? "✓" : "✗"} ${data.summary}`);
        } else if (event === "confirm") {
          finish();
          this.conversation = data.conversation_id;
          this.ask(data);
        } else if (event === "done") {
          finish();
          this.conversation = data.conversation_id ?? this.conversation;
        } else if (event === "error") {
          this.bubble("notice", data.detail || "The answer failed.");
        }
      }
      finish();
      this.status.textContent = "";
    } catch (error) {
      finish();
      this.status.textContent = error instanceof ApiError ? error.message : "The server cannot be reached.";
    } finally {
      this.send.disabled = false;
    }
  }

  // A destructive tool: nothing happens until the user answers; the answer goes on with the same stream.
  ask(confirmation) {
    const yes = h("button", { type: "button", class: "danger" }, "Yes, do it");
    const no = h("button", { type: "button" }, "No");
    const box = h("li", { class: "message confirm", role: "group", "aria-label": "Confirm" },
      h("p", {}, confirmation.question), h("div", { class: "actions" }, yes, no));
    const answer = (approve) => {
      yes.disabled = no.disabled = true;
      box.append(h("p", { class: "hint" }, approve ? "You said yes." : "You said no."));
      this.stream(`/chat/confirm/${encodeURIComponent(confirmation.id)}`, { approve });
    };
    yes.addEventListener("click", () => answer(true));
    no.addEventListener("click", () => answer(false));
    this.log.append(box);
    yes.focus();
  }
}
