import { describe, expect, it } from "vitest";
import { decodeState, defaultState, encodeState } from "../src/state/settings";
import { joinHash, readLocationState, splitHash, writeLocationState } from "../src/state/location";

describe("settings in the URL", () => {
  it("round-trips every setting", () => {
    const s = {
      ...defaultState(), mode: "gallery" as const, x: "index" as const, y: "step" as const, galleryBy: "run" as const,
      step: 40, index: 2, zoom: [10, 30] as [number, number], runFilter: "lr_.*", runsOff: ["a&b=c", "wide net"],
      tagFilter: "^samples$", cell: 200, cardCell: { samples: 300 }, cardWidth: { samples: 520 }, compare: ["seg/prediction", "seg/ground_truth"], expanded: "samples", fit: "original" as const,
      pixelated: true, captions: false, viewer: { "mask.opacity": 0.4, classes: { "1": false } },
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
  it("never lets both axes be the same", () => {
    const s = decodeState("x=run&y=run");
    expect(s.x).toBe("run");
    expect(s.y).not.toBe("run");
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
