import { describe, expect, it } from "vitest";
import { h } from "../src/panel/dom";
import { makeMatcher } from "../src/panel/filter";
import { runColor } from "../src/panel/colors";
import { viewerModuleFor } from "../src/viewers/registry";
import { waveformEnvelope, spectrogram } from "../src/viewers/audio";

describe("user text is never HTML", () => {
  it("sets names with textContent", () => {
    const el = h("div", { text: "<img src=x onerror=alert(1)>" });
    expect(el.children).toHaveLength(0);
    expect(el.textContent).toBe("<img src=x onerror=alert(1)>");
  });

  it("shows bidi overrides and zero-width characters instead of obeying them", () => {
    const el = h("span", { text: "run\u202egnp.exe\u200b", title: "a\u2066b" }, "\u200f!");
    expect(el.textContent).toBe("run‹U+202E›gnp.exe‹U+200B›‹U+200F›!");
    expect(el.title).toBe("a‹U+2066›b");
    expect(h("span", { text: "שלום עולם · données" }).textContent).toBe("שלום עולם · données");
  });
});

describe("filters", () => {
  it("uses a regex when it parses and text otherwise", () => {
    expect(makeMatcher("^lr_").test("lr_0.1")).toBe(true);
    expect(makeMatcher("^lr_").test("base_lr_")).toBe(false);
    const bad = makeMatcher("lr_(");
    expect(bad.error).not.toBeNull();
    expect(bad.test("x lr_( y")).toBe(true);
  });
});

describe("run colours", () => {
  it("depend on the run's place among all runs, not on the selection", () => {
    const all = ["a", "b", "c"];
    expect(runColor(all, "b")).toBe(runColor(all, "b"));
    expect(runColor(all, "a")).not.toBe(runColor(all, "b"));
    const many = Array.from({ length: 40 }, (_, i) => `r${String(i).padStart(2, "0")}`);
    expect(new Set(many.map((r) => runColor(many, r))).size).toBe(40);
  });
});

describe("viewer registry", () => {
  const base = { masks: [], boxes: [] };
  it("routes images with masks or boxes to the annotated viewer", () => {
    expect(viewerModuleFor({ kind: "image", ...base })).toBe("image");
    expect(viewerModuleFor({ kind: "image", masks: [{ name: "p", width: 1, height: 1, class_labels: [] }], boxes: [] })).toBe("annotated-image");
    expect(viewerModuleFor({ kind: "molecule", ...base })).toBe("molecule");
    expect(viewerModuleFor({ kind: "pointcloud", ...base })).toBe("pointcloud");
  });
});

describe("audio analysis", () => {
  it("envelopes hold each column's min and max", () => {
    const s = new Float32Array([0, 1, -1, 0.5, -0.25, 0.25]);
    const env = waveformEnvelope(s, 3);
    expect([...env.max]).toEqual([1, 0.5, 0.25]);
    expect([...env.min]).toEqual([0, -1, -0.25]);
  });
  it("puts a pure tone's energy in its frequency bin", () => {
    const size = 256;
    const s = new Float32Array(4096).map((_, i) => Math.sin((2 * Math.PI * 32 * i) / size));
    const spec = spectrogram(s, size, 4);
    const frame = spec.slice(0, size / 2);
    expect(frame.indexOf(Math.max(...frame))).toBe(32);
  });
});
