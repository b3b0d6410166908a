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

/** Characters kept whole at the end of a long name, as a share of it: sweeps differ in their tail. */
const TAIL_SHARE = 0.35;
const TAIL_MIN = 6;
const TAIL_MAX = 12;

/**
 * A name that, when it does not fit, is cut in the middle ("resnet50_im…bs256_seed1"), so
 * `…seed1` and `…seed2` still look different. The head shrinks first and shows the ellipsis;
 * the tail shrinks only once the head is gone. The full name is the title (shown on hover).
 */
export function nameEl(text: string, cls = "", shared = 0): HTMLElement {
  const chars = Array.from(displayText(text)); // whole code points: never split a surrogate pair
  const byShare = chars.length <= TAIL_MIN * 2 ? 0 : Math.min(TAIL_MAX, Math.max(TAIL_MIN, Math.ceil(chars.length * TAIL_SHARE)));
  // What every name shares says nothing: it is the part to cut first.
  const tailLen = shared > 0 && shared < chars.length ? Math.max(byShare, chars.length - shared) : byShare;
  const head = chars.slice(0, chars.length - tailLen).join("");
  const tail = chars.slice(chars.length - tailLen).join("");
  // The name is one text node (what is read aloud, found, copied and read as innerText); the
  // two parts drawn are generated content of the head and tail boxes, which CSS can cut.
  const el = h("span", { class: `mp-name${cls ? ` ${cls}` : ""}`, title: text }, h("span", { class: "mp-name-text", text }));
  for (const [part, shown] of [["head", head], ["tail", tail]]) {
    const box = h("span", { class: `mp-name-${part}`, "aria-hidden": "true" });
    box.dataset.part = shown;
    el.append(box);
  }
  return el;
}

/**
 * Leading characters (code points, as `nameEl` counts them) that all `names` share, cut back to
 * just after a separator (`_-/.:= `), so the rest starts at a word; 0 for fewer than two names.
 */
export function sharedPrefix(names: readonly string[]): number {
  if (names.length < 2) return 0;
  const first = Array.from(displayText(names[0]));
  let n = first.length;
  for (const name of names) {
    const chars = Array.from(displayText(name));
    let i = 0;
    while (i < n && i < chars.length && chars[i] === first[i]) i++;
    n = i;
    if (!n) return 0;
  }
  while (n > 0 && !/[_\-/.:= ]/.test(first[n - 1])) n--;
  return n;
}

export function clampTo(px: number, lim: { min: number; max: number }): number {
  return Math.round(Math.min(lim.max, Math.max(lim.min, px)));
}

/**
 * Makes `handle` a drag handle for a width: `move` gets the width while dragging, `done` once,
 * on release. Arrow keys change it by 16 px (the handle is a focusable separator).
 */
export function dragWidth(
  handle: HTMLElement, limits: { min: number; max: number }, start: () => number,
  move: (px: number) => void, done: (px: number) => void,
): void {
  handle.tabIndex = 0;
  handle.setAttribute("role", "separator");
  handle.setAttribute("aria-orientation", "vertical");
  handle.setAttribute("aria-valuemin", String(limits.min));
  handle.setAttribute("aria-valuemax", String(limits.max));
  let from: { x: number; width: number } | null = null;
  let width = start();
  handle.setAttribute("aria-valuenow", String(width));
  handle.addEventListener("pointerdown", (e) => {
    from = { x: e.clientX, width: start() };
    width = from.width;
    handle.setPointerCapture(e.pointerId);
    e.preventDefault();
    e.stopPropagation();
  });
  handle.addEventListener("pointermove", (e) => {
    if (!from) return;
    width = clampTo(from.width + e.clientX - from.x, limits);
    handle.setAttribute("aria-valuenow", String(width));
    move(width);
  });
  const release = () => {
    if (!from) return;
    from = null;
    done(width);
  };
  handle.addEventListener("pointerup", release);
  handle.addEventListener("pointercancel", release);
  handle.addEventListener("keydown", (e) => {
    if (e.key !== "ArrowLeft" && e.key !== "ArrowRight") return;
    e.preventDefault();
    e.stopPropagation(); // not the slider's ←/→
    width = clampTo(start() + (e.key === "ArrowLeft" ? -16 : 16), limits);
    move(width);
    done(width);
  });
}

/**
 * The closing rules of the panel's dialogs: Escape inside `pop` closes it and gives focus back
 * to its button (`close(true)`); a press anywhere but the dialog and its button closes it and
 * leaves focus where the press put it (`close(false)`). `button()` is the open dialog's button,
 * null while it is closed.
 */
export function closesOnEscapeOrOutside(pop: HTMLElement, button: () => Element | null | undefined, close: (refocus: boolean) => void): void {
  pop.addEventListener("keydown", (e) => {
    if (e.key !== "Escape") return;
    e.preventDefault();
    e.stopPropagation();
    close(true);
  });
  document.addEventListener("pointerdown", (e) => {
    const b = button();
    const t = e.target as Node;
    if (b && !pop.contains(t) && !b.contains(t)) close(false);
  }, true);
}
