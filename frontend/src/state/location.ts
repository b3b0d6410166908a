// Where the settings live in the address bar. The plugin runs in an iframe whose own URL is not
// what the user sees or shares, so the settings go into TensorBoard's page hash as `&mp=<…>`
// (TensorBoard keeps `#media_panel&…` intact across reloads); standalone, the frame's own hash.

const KEY = "mp";

function hostWindow(win: Window): Window {
  try {
    // Reading the parent's location throws when it is cross-origin; then use our own.
    if (win.parent !== win && win.parent.location.href) return win.parent;
  } catch {
    // cross-origin parent
  }
  return win;
}

/** Splits `#plugin&a=1&mp=…` into the parts we leave alone and our encoded settings. */
export function splitHash(hash: string): { others: string[]; ours: string | null } {
  const parts = hash.replace(/^#/, "").split("&").filter((p) => p !== "");
  let ours: string | null = null;
  const others: string[] = [];
  for (const p of parts) {
    if (p.startsWith(`${KEY}=`)) ours = decodeURIComponent(p.slice(KEY.length + 1));
    else others.push(p);
  }
  return { others, ours };
}

export function joinHash(others: string[], ours: string): string {
  const parts = [...others];
  if (ours) parts.push(`${KEY}=${encodeURIComponent(ours)}`);
  return parts.length ? `#${parts.join("&")}` : "";
}

export function readLocationState(win: Window = window): string {
  return splitHash(hostWindow(win).location.hash).ours ?? "";
}

/**
 * pushState/replaceState, not a hash assignment: no hashchange for TensorBoard. "push" makes a
 * history entry (Back undoes a view change); "replace" is for continuous changes (the slider).
 */
export function writeLocationState(encoded: string, mode: "push" | "replace" = "replace", win: Window = window): void {
  const host = hostWindow(win);
  const { others } = splitHash(host.location.hash);
  // `mp=` even for the defaults: Back to that entry then reopens the defaults (a bare hash is
  // TensorBoard's own, see `watchLocation`).
  const hash = `#${[...others, `${KEY}=${encodeURIComponent(encoded)}`].join("&")}`;
  const url = host.location.href.replace(/#.*$/, "") + hash;
  if (url === host.location.href) return;
  if (mode === "push") host.history.pushState(host.history.state, "", url);
  else host.history.replaceState(host.history.state, "", url);
}

/** The address the user sees and shares (TensorBoard's page when the panel is in its frame). */
export function shareableUrl(win: Window = window): string {
  return hostWindow(win).location.href;
}

/**
 * Calls `changed` when the address bar changes under the panel: a link pasted into it, or
 * Back/Forward. A hash without our part is TensorBoard's: another tab's (left alone), or ours
 * as TensorBoard writes it on coming back to the tab (a bare `#media_panel`), when `restore`
 * puts the view back into it; so too at the start. Returns the function that stops listening.
 */
export function watchLocation(changed: () => void, restore: () => void, win: Window = window): () => void {
  const host = hostWindow(win);
  // The plugin's name, which TensorBoard's hash starts with while its tab shows.
  const plugin = new URLSearchParams(win.location.search).get("name");
  const on = () => {
    const { others, ours } = splitHash(host.location.hash);
    if (ours !== null) changed();
    else if (host === win || others[0] === plugin) restore();
  };
  on();
  host.addEventListener("hashchange", on);
  host.addEventListener("popstate", on);
  return () => {
    host.removeEventListener("hashchange", on);
    host.removeEventListener("popstate", on);
  };
}

/** The window whose document holds the frame, when it is same-origin (for its keyboard). */
export function hostDocument(win: Window = window): Document | null {
  const host = hostWindow(win);
  return host === win ? null : host.document;
}
