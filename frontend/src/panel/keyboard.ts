// The panel's keyboard shortcuts, what each key does (`keyAction`, pure), the run under review
// (↑/↓), and the `?` list of them. Keys typed into a text field are text, so they never act.
import type { Store } from "../state/store";
import type { ViewerSettings } from "../viewers/types";
import { POINT_HIDDEN_CLASSES } from "../viewers/scene-settings";
import { CLASS_KEYS } from "../viewers/segmentation/colors";
import { KEYS, readSettings } from "../viewers/segmentation/settings";
import { h } from "./dom";

export interface Shortcut {
  keys: string[];
  what: string;
}

export interface ShortcutGroup {
  title: string;
  shortcuts: readonly Shortcut[];
}

/** Every key the panel answers, for the `?` overlay and the README (keep them in step). */
export const SHORTCUTS: readonly ShortcutGroup[] = [
  {
    title: "Steps and runs",
    shortcuts: [
      { keys: ["←", "→"], what: "Previous / next logged step" },
      { keys: ["Home", "End"], what: "First / last logged step of the window" },
      { keys: ["↑", "↓"], what: "Previous / next run: highlights its row and scrolls to it; full screen follows" },
    ],
  },
  {
    title: "Review",
    shortcuts: [
      { keys: ["1", "…", "9"], what: "Show / hide the first nine classes of the masks (of the card under the pointer)" },
      { keys: ["b"], what: "Bookmark the cell under the pointer (again: remove it)" },
      { keys: ["Space"], what: "Compare view: flip A / B" },
    ],
  },
  {
    // The pointer's part (view-transform.ts, pixel-probe.ts, compare-view.ts), listed with the keys.
    title: "Zoom, probe and compare (mouse)",
    shortcuts: [
      { keys: ["Ctrl/⌘", "wheel"], what: "Zoom every image of the card together (the wheel alone in a clicked or full-screen card)" },
      { keys: ["drag"], what: "Pan the zoomed images; in the Compare view's wipe, move the divider" },
      { keys: ["double-click"], what: "Fit the images again" },
      { keys: ["hover"], what: "Pixel probe: the value under the pointer in every cell of the card" },
    ],
  },
  {
    title: "Panel",
    shortcuts: [
      { keys: ["Esc"], what: "Close a menu, this list or full screen; else clear the run highlight" },
      { keys: ["?"], what: "Show these shortcuts" },
    ],
  },
];

/** What a key press asks the panel to do. */
export type KeyAction =
  | { do: "escape" }
  | { do: "help" }
  | { do: "step"; by: -1 | 1 }
  | { do: "end"; which: "first" | "last" }
  | { do: "run"; by: -1 | 1 }
  | { do: "flip" }
  | { do: "class"; n: number }
  | { do: "bookmark" };

type KeyLike = Pick<KeyboardEvent, "key" | "ctrlKey" | "metaKey" | "altKey" | "target">;

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

const SPACE_ROLES = new Set(["button", "checkbox", "switch", "tab", "menuitem", "option", "radio", "slider", "link"]);

/** Whether Space pressed on `target` presses it (a focused button, checkbox, video, summary …). */
export function spaceActivates(target: EventTarget | null): boolean {
  const el = target as { tagName?: unknown; getAttribute?: (n: string) => string | null } | null;
  if (!el || typeof el.tagName !== "string") return false;
  if (["BUTTON", "INPUT", "SUMMARY", "VIDEO", "AUDIO", "A"].includes(el.tagName.toUpperCase())) return true;
  return SPACE_ROLES.has(el.getAttribute?.("role") ?? "");
}

/** The panel's action for a key press, or null when the key is not a shortcut there. */
export function keyAction(e: KeyLike): KeyAction | null {
  if (e.ctrlKey || e.metaKey || e.altKey || typingInto(e.target)) return null;
  switch (e.key) {
    case "Escape": return { do: "escape" };
    case "?": return { do: "help" };
    case "ArrowLeft": return { do: "step", by: -1 };
    case "ArrowRight": return { do: "step", by: 1 };
    case "Home": return { do: "end", which: "first" };
    case "End": return { do: "end", which: "last" };
    case "ArrowUp": return { do: "run", by: -1 };
    case "ArrowDown": return { do: "run", by: 1 };
    case " ": return spaceActivates(e.target) ? null : { do: "flip" };
    case "b":
    case "B": return { do: "bookmark" };
    default:
      return /^[1-9]$/.test(e.key) ? { do: "class", n: Number(e.key) } : null;
  }
}

/** The run before or after `current` in `runs`, round the ends (as full screen's run buttons); none yet: the first or last. */
export function runBeside(runs: readonly string[], current: string | null, by: -1 | 1): string | null {
  if (!runs.length) return null;
  const i = current === null ? -1 : runs.indexOf(current);
  if (i < 0) return by > 0 ? runs[0] : runs[runs.length - 1];
  return runs[(i + by + runs.length) % runs.length];
}

/**
 * The run under review: ↑/↓ move it, the grid outlines its row, the full-screen view shows it.
 * Kept in the link (`review`), so a shared link points at the same run.
 */
export class CurrentRun {
  private readonly fns = new Set<(run: string | null) => void>();

  constructor(private readonly store: Store, private readonly runs: () => readonly string[]) {
    store.subscribe((changed) => {
      if (changed.has("review")) for (const fn of this.fns) fn(this.value);
    });
  }

  get value(): string | null {
    return this.store.state.review;
  }

  set(run: string | null): void {
    this.store.set({ review: run }, "replace");
  }

  /** The run before or after the current one among `among` (default: the panel's shown runs). */
  by(direction: -1 | 1, among?: readonly string[]): void {
    this.set(runBeside(among ?? this.runs(), this.value, direction));
  }

  subscribe(fn: (run: string | null) => void): () => void {
    this.fns.add(fn);
    return () => this.fns.delete(fn);
  }
}

/**
 * The class ids keys 1–9 toggle: the first nine of those the viewers list (their menus' order),
 * background left out (hidden by default, it is not what one reviews).
 */
export function keyClasses(lists: readonly string[]): number[] {
  const ids = new Set<number>();
  for (const list of lists) for (const t of list.split(" ")) if (/^\d+$/.test(t)) ids.add(Number(t));
  return [...ids].sort((a, b) => a - b).slice(0, CLASS_KEYS);
}

/**
 * The settings patch that shows or hides class `id` in masks, boxes and point clouds alike, as
 * its menu checkbox does.
 */
export function classToggle(settings: ViewerSettings, id: number): ViewerSettings {
  const s = readSettings(settings);
  const raw = settings[POINT_HIDDEN_CLASSES];
  const points = raw && typeof raw === "object" && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
  const k = String(id);
  const hidden = s.hiddenClasses[k] ?? s.boxHiddenClasses[k] ?? points[k] === true;
  return {
    [KEYS.hiddenClasses]: { ...s.hiddenClasses, [k]: !hidden },
    [KEYS.boxHiddenClasses]: { ...s.boxHiddenClasses, [k]: !hidden },
    [POINT_HIDDEN_CLASSES]: { ...points, [k]: !hidden },
  };
}

/** The `?` overlay: a dialog listing every shortcut; Escape or its button closes it. */
export class ShortcutHelp {
  readonly el: HTMLElement;
  private returnFocus: HTMLElement | null = null;

  constructor() {
    const close = h("button", { class: "mp-link-btn", text: "Close", "aria-label": "Close shortcuts" });
    close.addEventListener("click", () => this.close());
    const list = h("dl", { class: "mp-keys" });
    for (const g of SHORTCUTS) {
      list.append(h("div", { class: "mp-keys-group", text: g.title }));
      for (const s of g.shortcuts) {
        const keys = h("dt");
        s.keys.forEach((k, i) => {
          if (i) keys.append(" ");
          keys.append(k === "…" ? k : h("kbd", { text: k }));
        });
        list.append(keys, h("dd", { text: s.what }));
      }
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
