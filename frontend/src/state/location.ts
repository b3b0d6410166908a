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

/** replaceState, not a hash assignment: no history entry per slider move, no hashchange for TensorBoard. */
export function writeLocationState(encoded: string, win: Window = window): void {
  const host = hostWindow(win);
  const { others } = splitHash(host.location.hash);
  const hash = joinHash(others, encoded);
  const url = host.location.href.replace(/#.*$/, "") + hash;
  if (url !== host.location.href) host.history.replaceState(host.history.state, "", url);
}
