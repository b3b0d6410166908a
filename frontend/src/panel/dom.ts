// Tiny DOM builder. Text always goes in through textContent: run names, tags and captions are
// user data and must never be parsed as HTML.

// Bidi overrides/isolates and zero-width characters would let a logged name pose as another
// ("run\u202Egnp.exe" shows as "runexe.png"); they are shown as visible code points instead.
const INVISIBLE = /[\u061C\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/g;

export function displayText(text: string): string {
  return text.replace(INVISIBLE, (c) => `‹U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}›`);
}

type Attrs = Record<string, string | number | boolean | undefined | null>;
type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K, attrs: Attrs = {}, ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") el.className = String(v);
    else if (k === "text") el.textContent = displayText(String(v));
    else if (k === "title") el.title = displayText(String(v));
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === "string" ? document.createTextNode(displayText(c)) : c);
  }
  return el;
}

export function clear(el: Element): void {
  while (el.firstChild) el.firstChild.remove();
}

/** A message in words for empty, loading and error states. */
export function notice(kind: "empty" | "loading" | "error", text: string): HTMLElement {
  return h("div", { class: `mp-notice mp-notice-${kind}`, role: kind === "error" ? "alert" : "status", text });
}
