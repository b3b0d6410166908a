// Pinning cells into the Compare view: the one writer of `PanelState.pins` (cell menus, the
// bookmark list and the Compare view itself all go through these).
import type { CellKey } from "../state/cells";
import { sameCell } from "../state/cells";
import type { Store } from "../state/store";

/** Most items the Compare view shows at once (2 to compare, up to 8 side by side). */
export const MAX_PINS = 8;

export function isPinned(store: Store, key: CellKey): boolean {
  return store.state.pins.some((p) => sameCell(p, key));
}

/**
 * Adds `key` after the pins already there. Returns false when it could not: the Compare view
 * is full (MAX_PINS); a cell already pinned stays where it is and counts as pinned.
 */
export function pinCell(store: Store, key: CellKey): boolean {
  const pins = store.state.pins;
  if (pins.some((p) => sameCell(p, key))) return true;
  if (pins.length >= MAX_PINS) return false;
  store.set({ pins: [...pins, { run: key.run, tag: key.tag, step: key.step, index: key.index }] });
  return true;
}

export function unpinCell(store: Store, key: CellKey): void {
  const pins = store.state.pins;
  if (pins.some((p) => sameCell(p, key))) store.set({ pins: pins.filter((p) => !sameCell(p, key)) });
}

/** Pins or unpins, as the cell's pin button does; returns whether the cell is pinned after. */
export function togglePin(store: Store, key: CellKey): boolean {
  if (isPinned(store, key)) {
    unpinCell(store, key);
    return false;
  }
  return pinCell(store, key);
}
