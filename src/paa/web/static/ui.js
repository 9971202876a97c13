// What the management pages share: an error as one line, a confirmation dialog, and a link-like button.

import { ApiError } from "./api.js";
import { h } from "./dom.js";

export function failureText(error) {
  return error instanceof ApiError ? error.message : "The server cannot be reached.";
}

export function statusLine() {
  return h("p", { class: "status", role: "status", "aria-live": "polite" });
}

// Ask before something that cannot be undone. A modal <dialog>: the focus moves into it and stays there, Escape
// cancels, and the focus goes back to the button that asked. Cancel has the focus first, so Enter never deletes.
export function confirmAction(question, action) {
  return new Promise((resolve) => {
    const cancel = h("button", { type: "button" }, "Cancel");
    const yes = h("button", { type: "button", class: "danger" }, action);
    const dialog = h("dialog", { class: "confirm-dialog", "aria-labelledby": "confirm-question" },
      h("p", { id: "confirm-question" }, question), h("div", { class: "actions" }, yes, cancel));
    const back = document.activeElement;
    let answer = false;
    yes.addEventListener("click", () => {
      answer = true;
      dialog.close();
    });
    cancel.addEventListener("click", () => dialog.close());
    dialog.addEventListener("close", () => {
      dialog.remove();
      back?.focus?.();
      resolve(answer);
    });
    document.body.append(dialog);
    dialog.showModal();
    cancel.focus();
  });
}

// A moment in the browser's own time zone and language.
export function when(iso) {
  return iso ? new Date(iso).toLocaleString([], { dateStyle: "medium", timeStyle: "short" }) : "–";
}
