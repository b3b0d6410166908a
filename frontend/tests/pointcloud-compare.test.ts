import { describe, expect, it } from "vitest";
import { changedPoints, changedRGB, diffShort, diffSummary } from "../src/viewers/pointcloud-compare";

const labels = [
  { id: 0, name: "ground", color: null },
  { id: 1, name: "car", color: null },
  { id: 2, name: "person", color: null },
];

describe("changed points", () => {
  it("marks the points whose class differs and counts them in total and per (from, to) pair, with the logged names", () => {
    const truth = new Uint8Array([0, 0, 1, 1, 1, 2, 2, 0, 7, 1]);
    const pred = new Uint8Array([0, 1, 1, 0, 0, 2, 1, 0, 7, 0]);
    const d = changedPoints({ labels: truth, classLabels: labels }, { labels: pred, classLabels: labels });
    if (!d.ok) throw new Error(d.reason);
    expect(d.total).toBe(10);
    expect(d.changed).toBe(5);
    expect(Array.from(d.mask)).toEqual([0, 1, 0, 1, 1, 0, 1, 0, 0, 1]);
    expect(d.pairs).toEqual([
      { from: 1, to: 0, fromName: "car", toName: "ground", count: 3 },
      { from: 0, to: 1, fromName: "ground", toName: "car", count: 1 },
      { from: 2, to: 1, fromName: "person", toName: "car", count: 1 },
    ]);
    expect(diffSummary(d)).toBe("5 of 10 points changed class (50.0%)");
    expect(diffShort(d)).toBe("5 changed");
  });

  it("names each side's classes from its own labels; an unnamed class is 'class N'", () => {
    const d = changedPoints({ labels: new Uint16Array([300, 1]), classLabels: [] }, { labels: new Uint16Array([1, 1]), classLabels: labels });
    expect(d.ok && d.pairs).toEqual([{ from: 300, to: 1, fromName: "class 300", toName: "car", count: 1 }]);
  });

  it("counts exactly on a large cloud, and identical clouds have no changed points", () => {
    const n = 1_000_003;
    const a = new Uint32Array(n).map((_, i) => i % 5);
    const b = a.map((v, i) => (i % 997 === 0 ? (v + 1) % 5 : v));
    const d = changedPoints({ labels: a, classLabels: [] }, { labels: b, classLabels: [] });
    if (!d.ok) throw new Error(d.reason);
    expect(d.changed).toBe(Math.ceil(n / 997));
    expect(d.pairs.reduce((s, p) => s + p.count, 0)).toBe(d.changed);
    expect(diffSummary(d)).toBe("1,004 of 1,000,003 points changed class (0.10%)");
    const same = changedPoints({ labels: a, classLabels: [] }, { labels: a, classLabels: [] });
    expect(same.ok && [same.changed, same.pairs.length]).toEqual([0, 0]);
  });

  it("clouds of different sizes give a readout saying so, not a comparison", () => {
    const d = changedPoints({ labels: new Uint8Array(1000), classLabels: [] }, { labels: new Uint8Array(998), classLabels: [] });
    expect(d.ok).toBe(false);
    expect(diffSummary(d)).toBe("Changed points: the clouds differ in size (1,000 and 998 points): points are paired by their order");
    expect(diffShort(d)).toBe("not compared");
  });

  it("colours changed points in one colour and the others in another", () => {
    const rgb = changedRGB(new Uint8Array([1, 0]), [255, 0, 0], [200, 200, 200]);
    expect(Array.from(rgb)).toEqual([255, 0, 0, 200, 200, 200]);
  });
});
