import { describe, expect, it } from "vitest";
import { MAX_PINS, isPinned, pinCell, togglePin, unpinCell } from "../src/panel/pins";
import { decodeState } from "../src/state/settings";
import { Store } from "../src/state/store";

function store(initial = ""): { store: Store; text: () => string } {
  let text = initial;
  const s = new Store({ read: () => text, write: (t) => { text = t; } });
  return { store: s, text: () => text };
}

describe("pins", () => {
  it("pins in order into the link, once each, up to MAX_PINS", () => {
    const { store: s, text } = store();
    const key = (step: number) => ({ run: "r", tag: "t", step, index: 0 });
    expect(pinCell(s, key(1))).toBe(true);
    expect(pinCell(s, key(1))).toBe(true); // already pinned: stays, no duplicate
    for (let i = 2; i <= MAX_PINS; i++) expect(pinCell(s, key(i))).toBe(true);
    expect(pinCell(s, key(99))).toBe(false); // full
    expect(s.state.pins.map((p) => p.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(decodeState(text()).pins).toEqual(s.state.pins);
    unpinCell(s, key(3));
    expect(isPinned(s, key(3))).toBe(false);
    expect(s.state.pins).toHaveLength(MAX_PINS - 1);
    expect(togglePin(s, key(3))).toBe(true);
    expect(s.state.pins.at(-1)).toEqual(key(3));
    expect(togglePin(s, key(3))).toBe(false);
  });
});
