// RMSD of two molecules after optimal superposition (Kabsch), for "how far is the prediction from
// the truth". Pure functions: the molecule viewer and the Compare view give them parsed atoms.
//
// Atoms are matched by their order in the files, which is how a predicted structure and its
// reference (or two frames of one trajectory) are written. Proteins are compared on their Cα atoms
// only, the usual measure for a predicted fold (side chains and hydrogens are often written
// differently, or not at all); any other molecule on all its atoms, whose elements must then agree
// atom by atom, since a different order would pair unrelated atoms.
import { Matrix, SingularValueDecomposition } from "ml-matrix";

/** An atom as 3Dmol's parsers give it (only what matching needs). */
export interface Atom {
  x: number;
  y: number;
  z: number;
  /** Element symbol. */
  elem?: string;
  /** Atom name (PDB, mmCIF): "CA" is a residue's alpha carbon. */
  atom?: string;
  /** HETATM records (a calcium ion is also named "CA"). */
  hetflag?: boolean;
}

export interface Superposition {
  /** Root-mean-square deviation after superposing `a` on `b`, in the coordinates' unit. */
  rmsd: number;
  /** Number of points compared. */
  n: number;
  /** Row-major 3×3 proper rotation (determinant +1) and translation: `a` superposed is R·a + t. */
  rotation: number[][];
  translation: [number, number, number];
}

/**
 * Kabsch superposition of `a` onto `b`, flat xyz arrays of the same length, paired by index.
 * The rotation is always proper: when the best orthogonal map is a reflection, the smallest
 * singular direction is flipped (a mirror image is a different molecule, not RMSD 0).
 */
export function kabsch(a: ArrayLike<number>, b: ArrayLike<number>): Superposition {
  if (a.length % 3 || b.length % 3) throw new Error(`coordinates must be xyz triples, got ${a.length} and ${b.length} numbers`);
  const n = a.length / 3;
  if (b.length / 3 !== n) throw new Error(`both sets must have the same number of points, got ${n} and ${b.length / 3}`);
  if (n === 0) throw new Error("no points to superpose");
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i]) || !Number.isFinite(b[i])) throw new Error(`coordinate ${i} is not a finite number`);
  }
  const ca = centroid(a);
  const cb = centroid(b);
  // H = Σ (a_i − ā)(b_i − b̄)ᵀ
  const h = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < 3; r++) {
      const p = a[3 * i + r] - ca[r];
      for (let c = 0; c < 3; c++) h[r][c] += p * (b[3 * i + c] - cb[c]);
    }
  }
  // ml-matrix's SVD (a port of JAMA's) returns full orthonormal U and V even when H is rank
  // deficient (collinear or coplanar points, singular values at zero), so R below stays a rotation.
  const svd = new SingularValueDecomposition(new Matrix(h), { autoTranspose: false });
  const u = columns(svd.leftSingularVectors);
  const v = columns(svd.rightSingularVectors);
  const d = Math.sign(det3(v) * det3(u)) || 1;
  // R = V diag(1, 1, d) Uᵀ, with the columns of u and v in descending singular value order.
  const rotation = [0, 1, 2].map((r) => [0, 1, 2].map((c) => v[0][r] * u[0][c] + v[1][r] * u[1][c] + d * v[2][r] * u[2][c]));
  // The RMSD from the superposed coordinates themselves, not from Σ − 2(s₁ + s₂ + d·s₃), which
  // loses every digit to cancellation when the two sets nearly coincide.
  let sum = 0;
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < 3; r++) {
      let x = 0;
      for (let c = 0; c < 3; c++) x += rotation[r][c] * (a[3 * i + c] - ca[c]);
      const e = x - (b[3 * i + r] - cb[r]);
      sum += e * e;
    }
  }
  const t = [0, 1, 2].map((r) => cb[r] - dot(rotation[r], ca)) as [number, number, number];
  return { rmsd: Math.sqrt(sum / n), n, rotation, translation: t };
}

function centroid(p: ArrayLike<number>): [number, number, number] {
  const n = p.length / 3;
  const c: [number, number, number] = [0, 0, 0];
  for (let i = 0; i < p.length; i++) c[i % 3] += p[i];
  return [c[0] / n, c[1] / n, c[2] / n];
}

function columns(m: Matrix): number[][] {
  return [0, 1, 2].map((c) => [0, 1, 2].map((r) => m.get(r, c)));
}

const dot = (p: number[], q: number[]) => p[0] * q[0] + p[1] * q[1] + p[2] * q[2];
const cross = (p: number[], q: number[]) => [p[1] * q[2] - p[2] * q[1], p[2] * q[0] - p[0] * q[2], p[0] * q[1] - p[1] * q[0]];
const det3 = (cols: number[][]) => dot(cols[0], cross(cols[1], cols[2]));

/** Which atoms were compared, for the readout. */
export type AtomSelection = "ca" | "all";

export type MoleculeRmsd =
  | ({ ok: true; selection: AtomSelection } & Superposition)
  | { ok: false; reason: string };

const isCA = (t: Atom) => t.atom === "CA" && !t.hetflag && (t.elem === undefined || t.elem.toUpperCase() === "C");

/** The atoms compared, paired by order: Cα when both are proteins, else all atoms. */
export function matchAtoms(a: readonly Atom[], b: readonly Atom[]): { ok: true; a: Float64Array; b: Float64Array; selection: AtomSelection } | { ok: false; reason: string } {
  const caA = a.filter(isCA);
  const caB = b.filter(isCA);
  const protein = caA.length > 0 && caB.length > 0;
  const pa = protein ? caA : a;
  const pb = protein ? caB : b;
  const what = protein ? "Cα atoms" : "atoms";
  if (!pa.length || !pb.length) return { ok: false, reason: "a molecule has no atoms" };
  if (pa.length !== pb.length) return { ok: false, reason: `different numbers of ${what} (${pa.length} and ${pb.length}): atoms are paired by their order` };
  if (!protein) {
    for (let i = 0; i < pa.length; i++) {
      const ea = (pa[i].elem ?? "").toUpperCase();
      const eb = (pb[i].elem ?? "").toUpperCase();
      if (ea !== eb) return { ok: false, reason: `atom ${i + 1} is ${ea || "?"} in one and ${eb || "?"} in the other: atoms are paired by their order` };
    }
  }
  const flat = (atoms: readonly Atom[]) => Float64Array.from(atoms.flatMap((t) => [t.x, t.y, t.z]));
  return { ok: true, a: flat(pa), b: flat(pb), selection: protein ? "ca" : "all" };
}

/** RMSD of two parsed molecules after superposing `a` on `b` (and how), or why it cannot be computed. */
export function moleculeRmsd(a: readonly Atom[], b: readonly Atom[]): MoleculeRmsd {
  const m = matchAtoms(a, b);
  if (!m.ok) return m;
  try {
    return { ok: true, selection: m.selection, ...kabsch(m.a, m.b) };
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
}

/** The readout in a few characters, for a small cell: "RMSD 1.23 Å". */
export function rmsdShort(r: MoleculeRmsd): string {
  return r.ok ? `RMSD ${r.rmsd.toFixed(2)} Å` : "no RMSD";
}

/** The readout: "RMSD 1.23 Å (after superposition, 46 Cα atoms)". Coordinates are in ångström. */
export function rmsdText(r: MoleculeRmsd): string {
  if (!r.ok) return `RMSD: ${r.reason}`;
  const what = r.selection === "ca" ? (r.n === 1 ? "Cα atom" : "Cα atoms") : r.n === 1 ? "atom" : "atoms";
  return `RMSD ${r.rmsd.toFixed(2)} Å (after superposition, ${r.n.toLocaleString("en-US")} ${what})`;
}
