import { describe, expect, it } from "vitest";
import { cardSettings, decodeState, defaultState, encodeState } from "../src/state/settings";
import { joinHash, readLocationState, splitHash, writeLocationState } from "../src/state/location";

describe("settings in the URL", () => {
  it("round-trips every setting", () => {
    const s = {
      ...defaultState(), mode: "gallery" as const, x: "index" as const, y: "step" as const, galleryBy: "run" as const,
      step: 40, index: 2, zoom: [10, 30] as [number, number], runFilter: "lr_.*", runsOff: ["a&b=c", "wide net"],
      tagFilter: "^samples$", cell: 200, cards: { samples: { cell: 300, x: "run" as const, height: 400, viewer: { "mask.opacity": 0.2 } } }, cardWidth: { samples: 520 }, compare: ["seg/prediction", "seg/ground_truth"], expanded: "samples", fit: "original" as const,
      pixelated: true, captions: false, viewer: { "mask.opacity": 0.4, classes: { "1": false } },
      pins: [{ run: "a|b", tag: "x:y", step: 7, index: 1 }, { run: "a|b", tag: "x:y", step: 9, index: 0 }],
      bookmarks: [{ run: "r", tag: "t", step: 0, index: 0 }],
    };
    expect(decodeState(encodeState(s))).toEqual(s);
  });
  it("writes nothing for the defaults", () => {
    expect(encodeState(defaultState())).toBe("");
  });
  it("falls back to defaults on malformed values", () => {
    const s = decodeState("mode=cube&x=foo&step=-3&zoom=9-2&cell=99999&viewer=%5B1%5D");
    expect(s.mode).toBe("grid");
    expect(s.x).toBe("step");
    expect(s.step).toBeNull();
    expect(s.zoom).toBeNull();
    expect(s.cell).toBe(1024);
    expect(s.viewer).toEqual({});
  });
  it("drops malformed and repeated pins of a hand-edited link", () => {
    const pins = JSON.stringify([["r", "t", 1, 0], ["r", "t", 1, 0], ["r", 5, 1, 0], ["r", "t", 1.5, 0], ["r", "t", 2, -1], "x"]);
    expect(decodeState(`pins=${encodeURIComponent(pins)}`).pins).toEqual([{ run: "r", tag: "t", step: 1, index: 0 }]);
    expect(decodeState("pins=%5B").pins).toEqual([]);
  });
  it("never lets both axes be the same", () => {
    const s = decodeState("x=run&y=run");
    expect(s.x).toBe("run");
    expect(s.y).not.toBe("run");
  });
});

describe("per-card layouts", () => {
  it("a card's own settings win over the defaults; the rest follow the toolbar", () => {
    const s = { ...defaultState(), cards: { a: { x: "index" as const, cell: 64 } } };
    expect(cardSettings(s, "a")).toMatchObject({ mode: "grid", x: "index", y: "run", cell: 64, captions: true, height: null });
    expect(cardSettings(s, "b")).toMatchObject({ x: "step", y: "run", cell: 128 });
  });
  it("an override onto the other axis's default swaps them", () => {
    expect(cardSettings({ ...defaultState(), cards: { a: { x: "run" } } }, "a")).toMatchObject({ x: "run", y: "step" });
    expect(cardSettings({ ...defaultState(), cards: { a: { y: "step" } } }, "a")).toMatchObject({ x: "run", y: "step" });
  });
  it("reads older links' per-card cell sizes and drops malformed fields", () => {
    expect(decodeState(`cards=${encodeURIComponent('{"a":300,"b":{"x":"cube","cell":9,"height":-5,"mode":"gallery"}}')}`).cards)
      .toEqual({ a: { cell: 300 }, b: { cell: 48, height: 120, mode: "gallery" } });
  });
});

describe("location hash", () => {
  it("keeps TensorBoard's part of the hash", () => {
    const { others, ours } = splitHash("#media_panel&foo=1&mp=x%3Dindex%26step%3D3");
    expect(others).toEqual(["media_panel", "foo=1"]);
    expect(ours).toBe("x=index&step=3");
    expect(joinHash(others, "x=run")).toBe("#media_panel&foo=1&mp=x%3Drun");
    expect(joinHash(["media_panel"], "")).toBe("#media_panel");
  });
  it("writes and reads back through the window's location", () => {
    window.history.replaceState(null, "", "#media_panel");
    writeLocationState("step=5&x=run");
    expect(window.location.hash).toBe("#media_panel&mp=step%3D5%26x%3Drun");
    expect(readLocationState()).toBe("step=5&x=run");
    expect(decodeState(readLocationState()).step).toBe(5);
  });
});
