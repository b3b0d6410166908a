import { describe, expect, it } from "vitest";
import { downloadName } from "../src/viewers/events";
import { rgb } from "d3-color";
import { interpolateMagma, interpolateRdBu, interpolateTurbo, interpolateViridis } from "d3-scale-chromatic";
import { COLORMAPS, LUT_SIZE, barTicks, colorAt, colorBar, colormapLut, isColormap, lutIndex, paintValues } from "../src/viewers/colormap";
import {
  DEFAULT_CONFIDENCE_THRESHOLD, ScaleGroup, autoWindow, layerColormap, layerThreshold, loggedWindow, readHeatSettings,
  resolveWindow, sliderRange, unionWindow, type LayerStats,
} from "../src/viewers/heatmap-scale";
import { decodeValues, formatValue, probePixel } from "../src/viewers/heatmap-values";
import { UNSURE_RGB, paintUnsure } from "../src/viewers/segmentation/compose";

const d3rgb = (f: (t: number) => string, t: number) => {
  const c = rgb(f(t));
  return [Math.round(c.r), Math.round(c.g), Math.round(c.b)];
};

const stats = (o: Partial<LayerStats> = {}): LayerStats => ({ min: 0, max: 10, p01: 1, p99: 9, vmin: null, vmax: null, ...o });

describe("colormaps", () => {
  it("are d3-scale-chromatic's colours, gray a straight black-to-white ramp", () => {
    for (const t of [0, 0.3, 0.5, 1]) {
      expect(colorAt("viridis", t)).toEqual(d3rgb(interpolateViridis, t));
      expect(colorAt("magma", t)).toEqual(d3rgb(interpolateMagma, t));
      expect(colorAt("turbo", t)).toEqual(d3rgb(interpolateTurbo, t));
      expect(colorAt("rdbu", t)).toEqual(d3rgb(interpolateRdBu, t));
    }
    expect(colorAt("viridis", 0)).toEqual([68, 1, 84]);
    expect(colorAt("viridis", 1)).toEqual([253, 231, 37]);
    expect(colorAt("gray", 0)).toEqual([0, 0, 0]);
    expect(colorAt("gray", 1)).toEqual([255, 255, 255]);
    expect(colorAt("gray", 0.5)).toEqual([128, 128, 128]);
    expect(colorAt("viridis", -3)).toEqual(colorAt("viridis", 0));
    expect(colorAt("viridis", 7)).toEqual(colorAt("viridis", 1));
  });

  it("a lookup table entry k is the colour at k / 255, opaque", () => {
    for (const name of COLORMAPS) {
      const lut = colormapLut(name);
      expect(lut.length).toBe(LUT_SIZE * 4);
      for (const k of [0, 1, 100, 255]) expect(Array.from(lut.slice(k * 4, k * 4 + 4))).toEqual([...colorAt(name, k / 255), 255]);
    }
    expect(isColormap("rdbu")).toBe(true);
    expect(isColormap("jet")).toBe(false);
  });

  it("maps values through the window, clamps outside it, leaves NaN and values under the threshold transparent", () => {
    const lut = colormapLut("viridis");
    const values = new Float32Array([-5, 0, 2, 4, 9, NaN, 1, 3.999]);
    const out = new Uint8ClampedArray(values.length * 4);
    const hidden = paintValues(values, { lut, lo: 0, hi: 4, threshold: 1 }, out);
    const px = (i: number) => Array.from(out.slice(i * 4, i * 4 + 4));
    const entry = (k: number) => Array.from(lut.slice(k * 4, k * 4 + 4));
    expect(hidden).toBe(2); // -5 and 0 are under 1; NaN is no data, not counted
    expect(px(0)[3]).toBe(0);
    expect(px(1)[3]).toBe(0);
    expect(px(2)).toEqual(entry(lutIndex(2, 0, 4)));
    expect(lutIndex(2, 0, 4)).toBe(128);
    expect(px(3)).toEqual(entry(255));
    expect(px(4)).toEqual(entry(255));
    expect(px(5)[3]).toBe(0);
    expect(px(6)).toEqual(entry(lutIndex(1, 0, 4)));
    expect(px(7)).toEqual(entry(255));
    // The same value gives the same colour whichever path (typed array, plain numbers) it takes.
    const ints = new Uint16Array([0, 1000, 65535]);
    const o2 = new Uint8ClampedArray(12);
    paintValues(ints, { lut, lo: 0, hi: 2000, threshold: null }, o2);
    expect(Array.from(o2.slice(4, 8))).toEqual(entry(lutIndex(1000, 0, 2000)));
    expect(Array.from(o2.slice(8, 12))).toEqual(entry(255));
  });

  it("a zero-width window draws values at or above it in the last colour, below in the first", () => {
    const lut = colormapLut("gray");
    const out = new Uint8ClampedArray(12);
    paintValues(new Float32Array([4, 5, 6]), { lut, lo: 5, hi: 5, threshold: null }, out);
    expect(Array.from(out)).toEqual([0, 0, 0, 255, 255, 255, 255, 255, 255, 255, 255, 255]);
  });

  it("the colour bar's ticks lie on the window at their place along it", () => {
    const ticks = barTicks(-2, 3);
    expect(ticks.length).toBeGreaterThan(1);
    for (const t of ticks) {
      expect(t.value).toBeGreaterThanOrEqual(-2);
      expect(t.value).toBeLessThanOrEqual(3);
      expect(t.at).toBeCloseTo((t.value + 2) / 5, 9);
    }
    const bar = colorBar("magma", -2, 3);
    expect(bar.dataset.colormap).toBe("magma");
    expect(bar.dataset.vmin).toBe("-2");
    expect(bar.querySelectorAll(".cm-ticks span").length).toBe(ticks.length);
    expect(bar.querySelector(".cm-ends")?.textContent).toBe("-23");
  });
});

describe("window/level", () => {
  it("auto is p01-p99; the logged window wins where given; an empty window widens to the data's range", () => {
    expect(autoWindow(stats())).toEqual([1, 9]);
    expect(loggedWindow(stats({ vmin: 0, vmax: 2 }))).toEqual([0, 2]);
    expect(loggedWindow(stats({ vmax: 5 }))).toEqual([1, 5]);
    expect(autoWindow(stats({ p01: 3, p99: 3 }))).toEqual([0, 10]);
    expect(autoWindow(stats({ min: 4, max: 4, p01: 4, p99: 4 }))).toEqual([4, 4]);
  });

  it("the card's scale is the union of its cells' windows; per cell only the cell's own; the user's pair as is", () => {
    const a = stats({ vmin: 0, vmax: 1, min: 0, max: 1 });
    const b = stats({ vmin: 0, vmax: 10 });
    expect(unionWindow([[0, 1], [-1, 0.5]])).toEqual([-1, 1]);
    expect(unionWindow([])).toBeNull();
    expect(resolveWindow(undefined, a, [a, b])).toEqual([0, 10]);
    expect(resolveWindow(undefined, a, null)).toEqual([0, 1]);
    expect(resolveWindow("auto", b, [a, b])).toEqual([1, 9]);
    expect(resolveWindow([2, 3], a, [a, b])).toEqual([2, 3]);
    expect(sliderRange([a, b], [0, 10])).toEqual([0, 10]);
    expect(sliderRange([a], [-4, 0.5])).toEqual([-4, 1]);
  });

  it("settings from a hand-edited link keep what is well formed and drop the rest", () => {
    const s = readHeatSettings({
      "heat.colormap": { "": "magma", depth: "jet" },
      "heat.window": { "": [0, 1], depth: "auto", bad: [3, 1], worse: "x" },
      "heat.scale": "cell",
      "heat.threshold": { depth: 0.2, x: "1" },
    });
    expect(s.colormap).toEqual({ "": "magma" });
    expect(s.window).toEqual({ "": [0, 1], depth: "auto" });
    expect(s.scale).toBe("cell");
    expect(readHeatSettings({}).scale).toBe("card");
    expect(s.threshold).toEqual({ depth: 0.2 });
    expect(layerColormap(s, "depth", "turbo")).toBe("turbo");
    expect(layerColormap(s, "other", "nonsense")).toBe("viridis");
    expect(layerThreshold(s, "conf", "confidence")).toBe(DEFAULT_CONFIDENCE_THRESHOLD);
    expect(layerThreshold(s, "other", "")).toBeNull();
  });

  it("a scale group knows its members' stats and asks every member to rescale when one joins or leaves", async () => {
    const g = new ScaleGroup();
    const calls: string[] = [];
    const m1 = { stats: new Map([["", stats({ max: 1 })]]), rescale: () => calls.push("m1") };
    const m2 = { stats: new Map([["", stats({ max: 5 })], ["depth", stats()]]), rescale: () => calls.push("m2") };
    g.join(m1);
    g.join(m2);
    expect(g.statsOf("").map((s) => s.max)).toEqual([1, 5]);
    expect(g.statsOf("depth").length).toBe(1);
    await new Promise((r) => setTimeout(r, 50));
    expect(calls.sort()).toEqual(["m1", "m2"]); // once each for both joins (one frame)
    g.leave(m2);
    await new Promise((r) => setTimeout(r, 50));
    expect(calls.filter((c) => c === "m1").length).toBe(2);
    expect(g.size).toBe(1);
  });
});

describe("values and the probe", () => {
  it("decodes the served dtype and names the layer, size and dtype when they do not fit", () => {
    const v = decodeValues(new Uint16Array([1, 2, 3, 4]).buffer, { name: "", dtype: "uint16", width: 2, height: 2 });
    expect(v).toBeInstanceOf(Uint16Array);
    expect(() => decodeValues(new ArrayBuffer(12), { name: "depth", dtype: "float32", width: 2, height: 2 })).toThrow(
      /heatmap layer "depth": expected 2×2 float32 values \(16 bytes\), got 12 bytes/,
    );
    expect(() => decodeValues(new ArrayBuffer(8), { name: "", dtype: "float64" as "float32", width: 1, height: 1 })).toThrow(/dtype must be one of/);
  });

  it("shows the stored value exactly: a float32 with the fewest digits that read back as it, integers whole", () => {
    expect(formatValue(Math.fround(0.1), "float32")).toBe("0.1");
    expect(formatValue(Math.fround(1 / 3), "float32")).toBe("0.33333334");
    expect(Math.fround(Number(formatValue(Math.fround(1 / 3), "float32")))).toBe(Math.fround(1 / 3));
    expect(formatValue(65535, "uint16")).toBe("65535");
    expect(formatValue(NaN, "float32")).toBe("no data");
    const p = probePixel(new Float32Array([0, 1, 2, 3, 4, 5]), { width: 3, height: 2, dtype: "float32" }, 2.7, 1.2);
    expect(p).toEqual({ x: 2, y: 1, value: 5, text: "5" });
    expect(probePixel(new Float32Array(6), { width: 3, height: 2, dtype: "float32" }, 3, 0)).toBeNull();
  });

  it("marks mask pixels under the confidence threshold unsure (grey hatch), counts them, keeps hidden classes hidden", () => {
    const out = new Uint8ClampedArray(4 * 4);
    out.fill(255);
    out[3 * 4 + 3] = 0; // pixel 3: a hidden class
    const n = paintUnsure(new Float32Array([0.9, 0.2, NaN, 0.1]), 0.5, 2, out);
    expect(n).toBe(2);
    expect(Array.from(out.slice(0, 4))).toEqual([255, 255, 255, 255]);
    expect(Array.from(out.slice(4, 7))).toEqual(UNSURE_RGB[0]);
    expect(out[3 * 4 + 3]).toBe(0);
  });
});

describe("downloadName", () => {
  it("names a scalar image's download .npy (the data route gives its values) and keeps other formats", () => {
    const ref = { run: "a/b", tag: "depth", step: 3, index: 0 };
    expect(downloadName(ref, "scalar")).toBe("a_b_depth_step3_0.npy");
    expect(downloadName(ref, "png")).toBe("a_b_depth_step3_0.png");
  });
});
