// The panel's keyboard shortcuts, and the `?` list of them. Keys typed into a text field are
// text, so they never step the slider.
import { h } from "./dom";

export interface Shortcut {
  keys: string[];
  what: string;
}

export const SHORTCUTS: readonly Shortcut[] = [
  { keys: ["←", "→"], what: "Previous / next logged step" },
  { keys: ["Home", "End"], what: "First / last logged step of the window" },
  { keys: ["Esc"], what: "Close a menu, this list or full screen" },
  { keys: ["?"], what: "Show these shortcuts" },
];

/**
 * Whether a key pressed with focus on `target` is meant for the control (typing, choosing).
 * Duck-typed: the target may be an element of TensorBoard's page, another realm.
 */
export function typingInto(target: EventTarget | null): boolean {
  const el = target as { tagName?: unknown; isContentEditable?: boolean; type?: string } | null;
  if (!el || typeof el.tagName !== "string") return false;
  if (el.isContentEditable) return true;
  const tag = el.tagName.toUpperCase();
  if (tag === "TEXTAREA" || tag === "SELECT") return true;
  if (tag !== "INPUT") return false;
  return !["checkbox", "radio", "range", "button"].includes(el.type ?? "");
}

/** The `?` overlay: a dialog listing every shortcut; Escape or its button closes it. */
export class ShortcutHelp {
  readonly el: HTMLElement;
  private returnFocus: HTMLElement | null = null;

  constructor() {
    const close = h("button", { class: "mp-link-btn", text: "Close", "aria-label": "Close shortcuts" });
    close.addEventListener("click", () => this.close());
    const list = h("dl", { class: "mp-keys" });
    for (const s of SHORTCUTS) {
      const keys = h("dt");
      s.keys.forEach((k, i) => {
        if (i) keys.append(" ");
        keys.append(h("kbd", { text: k }));
      });
      list.append(keys, h("dd", { text: s.what }));
    }
    this.el = h("div", { class: "mp-help", role: "dialog", "aria-label": "Keyboard shortcuts", "aria-modal": "true", tabindex: -1 },
      h("div", { class: "mp-help-head" }, h("span", { class: "mp-help-title", text: "Keyboard shortcuts" }), close), list);
    this.el.hidden = true;
  }

  get open(): boolean {
    return !this.el.hidden;
  }

  show(): void {
    const active = this.el.ownerDocument.activeElement;
    this.returnFocus = active instanceof HTMLElement ? active : null;
    this.el.hidden = false;
    this.el.focus();
  }

  close(): void {
    this.el.hidden = true;
    this.returnFocus?.focus();
    this.returnFocus = null;
  }

  toggle(): void {
    if (this.open) this.close();
    else this.show();
  }
}
