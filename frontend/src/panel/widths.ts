// Widths the user drags (the sidebar, the row-label column of each axis). They are the user's
// chrome, like TensorBoard's sidebar width, not part of what a shared link shows, so they are
// kept in localStorage rather than in the URL.
import type { Axis } from "../state/settings";
import { SIZES } from "../state/settings";
import { LABEL_W } from "./card-model";
import { clampTo as clamp } from "./dom";

const LABEL_LIMITS = SIZES.labelWidth;
export const SIDE_W = { ...SIZES.sideWidth, initial: 260 };

function stored(key: string): number | null {
  try {
    const v = Number(window.localStorage.getItem(key));
    return Number.isFinite(v) && v > 0 ? v : null;
  } catch {
    return null; // storage blocked (private mode, sandbox): the defaults apply
  }
}

function store(key: string, px: number): void {
  try {
    window.localStorage.setItem(key, String(Math.round(px)));
  } catch {
    // Not persisted; the width still applies until the page is reloaded.
  }
}


/** Width of the row-label column when `axis` is down the rows. */
export function labelWidth(axis: Axis): number {
  return clamp(stored(`mp.labelWidth.${axis}`) ?? LABEL_W[axis], LABEL_LIMITS);
}

export function setLabelWidth(axis: Axis, px: number): void {
  store(`mp.labelWidth.${axis}`, clamp(px, LABEL_LIMITS));
}

export function sideWidth(): number {
  return clamp(stored("mp.sideWidth") ?? SIDE_W.initial, SIDE_W);
}

export function setSideWidth(px: number): void {
  store("mp.sideWidth", clamp(px, SIDE_W));
}
