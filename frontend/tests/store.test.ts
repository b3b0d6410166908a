import { describe, expect, it } from "vitest";
import type { Change, HistoryMode } from "../src/state/store";
import { Store } from "../src/state/store";

/** An address bar: what the store wrote, and how. */
function bar(initial = "") {
  const io = {
    text: initial,
    writes: [] as [string, HistoryMode][],
    read: () => io.text,
    write: (s: string, mode: HistoryMode) => {
      io.text = s;
      io.writes.push([s, mode]);
    },
  };
  return io;
}

describe("store", () => {
  it("writes changes to the address bar and says which keys changed", () => {
    const io = bar();
    const store = new Store(io);
    const seen: Change[][] = [];
    store.subscribe((c) => seen.push([...c]));
    store.set({ mode: "gallery", x: "step" });
    expect(seen).toEqual([["mode"]]);
    expect(io.writes).toEqual([["mode=gallery", "push"]]);
    store.set({ mode: "gallery" });
    expect(seen).toHaveLength(1); // nothing changed, nothing written
  });

  it("adopts a pasted link without writing it back; the next change starts from it", () => {
    const io = bar("x=index");
    const store = new Store(io);
    const seen: Change[][] = [];
    store.subscribe((c) => seen.push([...c]));
    io.text = "x=run&y=step&step=20";
    store.syncFromLocation();
    expect(store.state).toMatchObject({ x: "run", y: "step", step: 20 });
    expect(seen[0].sort()).toEqual(["step", "x", "y"]);
    expect(io.writes).toEqual([]);
    store.set({ captions: false });
    expect(io.text).toBe("x=run&y=step&step=20&captions=0");
  });

  it("the slider: follows the latest step, keeps its step in a window or takes the nearest", () => {
    const store = new Store(bar());
    store.setSteps([0, 100, 200, 300], [0, 300]);
    expect(store.view).toMatchObject({ current: 300, latest: true });
    store.stepBy(-1);
    expect(store.view).toMatchObject({ current: 200, latest: false });
    expect(store.state.step).toBe(200);
    store.stepToEnd("last");
    expect(store.state.step).toBeNull(); // back to following new steps
    // Zoomed to 100–200 while following the latest (300): the nearest step in the window, not "latest".
    store.set({ zoom: [100, 200] });
    store.setSteps([100, 200], [0, 300]);
    expect(store.view).toMatchObject({ current: 200, latest: false });
    store.stepToEnd("first");
    expect(store.view.current).toBe(100);
  });
});
