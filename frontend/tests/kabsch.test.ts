import { describe, expect, it } from "vitest";
import { kabsch, matchAtoms, moleculeRmsd, rmsdShort, rmsdText, type Atom } from "../src/viewers/kabsch";

/** RMSD without moving either set. */
function rmsdAsIs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] - b[i]) ** 2;
  return Math.sqrt(sum / (a.length / 3));
}

/** Rotation about a unit axis by `angle` (Rodrigues), row-major. */
function rotation(axis: [number, number, number], angle: number): number[][] {
  const l = Math.hypot(...axis);
  const [x, y, z] = axis.map((v) => v / l);
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  const t = 1 - c;
  return [
    [t * x * x + c, t * x * y - s * z, t * x * z + s * y],
    [t * x * y + s * z, t * y * y + c, t * y * z - s * x],
    [t * x * z - s * y, t * y * z + s * x, t * z * z + c],
  ];
}

function transform(p: ArrayLike<number>, r: number[][], t: [number, number, number]): Float64Array {
  const out = new Float64Array(p.length);
  for (let i = 0; i < p.length; i += 3) {
    for (let k = 0; k < 3; k++) out[i + k] = r[k][0] * p[i] + r[k][1] * p[i + 1] + r[k][2] * p[i + 2] + t[k];
  }
  return out;
}

/** A deterministic pseudo-random generator, so the sets are the same every run. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function cloud(n: number, seed: number): Float64Array {
  const r = rng(seed);
  return Float64Array.from({ length: 3 * n }, () => (r() - 0.5) * 20);
}

function centred(p: Float64Array): Float64Array {
  const c = [0, 0, 0];
  for (let i = 0; i < p.length; i++) c[i % 3] += p[i] / (p.length / 3);
  return p.map((v, i) => v - c[i % 3]);
}

const det = (m: number[][]) =>
  m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);

describe("kabsch", () => {
  it("a rotated and translated copy superposes to RMSD 0, with the rotation that was applied", () => {
    const a = cloud(40, 1);
    const r = rotation([1, 2, 3], 2.1);
    const b = transform(a, r, [5, -7, 12]);
    expect(rmsdAsIs(a, b)).toBeGreaterThan(5);
    const fit = kabsch(a, b);
    expect(fit.n).toBe(40);
    expect(fit.rmsd).toBeLessThan(1e-9);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) expect(fit.rotation[i][j]).toBeCloseTo(r[i][j], 9);
    expect(rmsdAsIs(transform(a, fit.rotation, fit.translation), b)).toBeLessThan(1e-9);
  });

  it("a known perturbation gives its RMSD: a copy scaled by s about its centroid is off by |s−1|·(radius of gyration)", () => {
    // Scaling is symmetric, so the best rotation for it is the identity and the RMSD is known exactly.
    const a = centred(cloud(30, 2));
    let rg2 = 0;
    for (let i = 0; i < a.length; i++) rg2 += a[i] ** 2 / 30;
    const s = 1.1;
    const b = transform(a.map((v) => v * s), rotation([0, 1, 1], -0.7), [1, 2, 3]);
    expect(kabsch(a, b).rmsd).toBeCloseTo(Math.abs(s - 1) * Math.sqrt(rg2), 9);
  });

  it("one atom moved out of a plane: the fit shares the error out, below the RMSD as logged", () => {
    const a = Float64Array.from([0, 0, 0, 4, 0, 0, 0, 4, 0, 4, 4, 0]);
    const b = a.slice();
    b[2] = 1;
    const fit = kabsch(a, b);
    expect(fit.rmsd).toBeLessThan(rmsdAsIs(a, b));
    expect(fit.rmsd).toBeLessThanOrEqual(bestOfRandomRotations(a, b, 4000, 3) + 1e-12);
    // Moving the whole set rigidly changes nothing.
    expect(kabsch(transform(a, rotation([3, -1, 2], 1.3), [9, 9, 9]), b).rmsd).toBeCloseTo(fit.rmsd, 10);
  });

  it("is never beaten by any other rotation (optimality), on random sets", () => {
    const a = cloud(12, 4);
    const r = rng(5);
    const b = transform(a, rotation([1, -1, 0.5], 0.9), [0, 0, 0]).map((v) => v + (r() - 0.5) * 3);
    const fit = kabsch(a, b);
    expect(fit.rmsd).toBeGreaterThan(0.3);
    expect(fit.rmsd).toBeLessThanOrEqual(bestOfRandomRotations(a, b, 4000, 6) + 1e-12);
  });

  it("a mirror image is not RMSD 0: the rotation stays proper (no reflection)", () => {
    const a = cloud(20, 7);
    const mirrored = a.map((v, i) => (i % 3 === 0 ? -v : v));
    const fit = kabsch(a, mirrored);
    expect(det(fit.rotation)).toBeCloseTo(1, 10);
    expect(fit.rmsd).toBeGreaterThan(1);
    expect(fit.rmsd).toBeLessThanOrEqual(bestOfRandomRotations(a, mirrored, 4000, 8) + 1e-12);
  });

  it("collinear and coplanar sets superpose (degenerate singular values) with a proper rotation", () => {
    const line = Float64Array.from([0, 0, 0, 1, 1, 1, 2, 2, 2, 5, 5, 5]);
    const r = rotation([1, 0, 0], 1);
    const fitLine = kabsch(line, transform(line, r, [1, 2, 3]));
    expect(fitLine.rmsd).toBeLessThan(1e-9);
    expect(det(fitLine.rotation)).toBeCloseTo(1, 10);
    const plane = Float64Array.from([0, 0, 0, 3, 0, 0, 0, 2, 0, 1, 1, 0]);
    const fitPlane = kabsch(plane, transform(plane, rotation([2, 1, 0], 2.5), [0, 0, 4]));
    expect(fitPlane.rmsd).toBeLessThan(1e-9);
    // A flat set is its own mirror image, so the mirrored plane superposes too, by a rotation.
    const fitMirror = kabsch(plane, plane.map((v, i) => (i % 3 === 1 ? -v : v)));
    expect(fitMirror.rmsd).toBeLessThan(1e-9);
    expect(det(fitMirror.rotation)).toBeCloseTo(1, 10);
    // One point, or all points at one place: nothing to turn.
    expect(kabsch([1, 2, 3], [4, 5, 6]).rmsd).toBe(0);
    expect(kabsch([1, 1, 1, 1, 1, 1], [2, 2, 2, 2, 2, 2]).rmsd).toBe(0);
  });

  it("refuses sets of different sizes, empty sets and non-finite coordinates, saying which", () => {
    expect(() => kabsch([0, 0, 0, 1, 1, 1], [0, 0, 0])).toThrow("same number of points, got 2 and 1");
    expect(() => kabsch([], [])).toThrow("no points");
    expect(() => kabsch([0, 0], [0, 0])).toThrow("xyz triples");
    expect(() => kabsch([0, 0, NaN], [0, 0, 0])).toThrow("coordinate 2 is not a finite number");
  });
});

describe("molecule RMSD", () => {
  const atom = (x: number, y: number, z: number, elem: string, name?: string, het = false): Atom => ({ x, y, z, elem, atom: name, hetflag: het });

  it("compares proteins on their Cα atoms, paired by order, and ignores side chains and ions named CA", () => {
    const a = [atom(0, 0, 0, "N", "N"), atom(1, 0, 0, "C", "CA"), atom(2, 0, 0, "C", "CB"), atom(0, 3, 0, "C", "CA"), atom(0, 0, 4, "C", "CA"), atom(9, 9, 9, "CA", "CA", true)];
    // The "prediction": the same Cα trace turned and moved, no side chain, no ion.
    const moved = transform([1, 0, 0, 0, 3, 0, 0, 0, 4], rotation([0, 0, 1], 1), [3, 3, 3]);
    const b = [0, 1, 2].map((i) => atom(moved[3 * i], moved[3 * i + 1], moved[3 * i + 2], "C", "CA"));
    const m = matchAtoms(a, b);
    expect(m.ok && m.selection).toBe("ca");
    const r = moleculeRmsd(a, b);
    expect(r.ok && r.n).toBe(3);
    expect(r.ok && r.rmsd).toBeLessThan(1e-9);
    expect(rmsdText(r)).toBe("RMSD 0.00 Å (after superposition, 3 Cα atoms)");
    expect(rmsdShort(r)).toBe("RMSD 0.00 Å");
  });

  it("compares other molecules on all their atoms, which must match element by element", () => {
    const a = [atom(0, 0, 0, "C"), atom(1.5, 0, 0, "O"), atom(0, 1.5, 0, "N"), atom(0, 0, 1.5, "C")];
    const b = a.map((t) => ({ ...t, x: t.x * 2, y: t.y * 2, z: t.z * 2 }));
    const r = moleculeRmsd(a, b);
    expect(r.ok && r.selection).toBe("all");
    expect(r.ok && r.n).toBe(4);
    // Scaled by 2 about the origin: off by the radius of gyration about the centroid.
    const c = centred(Float64Array.from(a.flatMap((t) => [t.x, t.y, t.z])));
    expect(r.ok && r.rmsd).toBeCloseTo(Math.sqrt(c.reduce((s, v) => s + v * v, 0) / 4), 9);
    expect(rmsdText(r)).toMatch(/^RMSD \d\.\d\d Å \(after superposition, 4 atoms\)$/);
    const swapped = [b[1], b[0], b[2], b[3]];
    expect(rmsdText(moleculeRmsd(a, swapped))).toBe("RMSD: atom 1 is C in one and O in the other: atoms are paired by their order");
    expect(rmsdText(moleculeRmsd(a, b.slice(1)))).toBe("RMSD: different numbers of atoms (4 and 3): atoms are paired by their order");
    expect(rmsdShort(moleculeRmsd(a, b.slice(1)))).toBe("no RMSD");
  });
});

/** The lowest RMSD over random rotations (and the centroid translation, optimal for any rotation). */
function bestOfRandomRotations(a: Float64Array, b: Float64Array, tries: number, seed: number): number {
  const r = rng(seed);
  const ca = centred(a);
  const cb = centred(b);
  let best = Infinity;
  for (let k = 0; k < tries; k++) {
    // A uniform random rotation from a random unit quaternion.
    const q = [r() - 0.5, r() - 0.5, r() - 0.5, r() - 0.5];
    const l = Math.hypot(...q);
    const [w, x, y, z] = q.map((v) => v / l);
    const m = [
      [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
      [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
      [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)],
    ];
    best = Math.min(best, rmsdAsIs(transform(ca, m, [0, 0, 0]), cb));
  }
  return best;
}
