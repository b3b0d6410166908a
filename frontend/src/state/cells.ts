// One cell of any card, by what it shows: the key of pins (the Compare view) and bookmarks.
// Written in links as a JSON array [run, tag, step, index] so any run or tag name survives.

export interface CellKey {
  run: string;
  tag: string;
  step: number;
  index: number;
}

export function sameCell(a: CellKey, b: CellKey): boolean {
  return a.run === b.run && a.tag === b.tag && a.step === b.step && a.index === b.index;
}

/** Most items a link may carry in one list (pins are capped lower by the Compare view). */
export const MAX_CELL_KEYS = 64;

export function encodeCellKeys(keys: readonly CellKey[]): string {
  return JSON.stringify(keys.map((k) => [k.run, k.tag, k.step, k.index]));
}

/** Malformed entries of a hand-edited link are dropped; duplicates keep their first place. */
export function decodeCellKeys(text: string | null): CellKey[] {
  if (!text) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return [];
  }
  if (!Array.isArray(parsed)) return [];
  const out: CellKey[] = [];
  for (const v of parsed) {
    if (!Array.isArray(v) || v.length !== 4) continue;
    const [run, tag, step, index] = v as unknown[];
    if (typeof run !== "string" || typeof tag !== "string") continue;
    if (!Number.isSafeInteger(step) || !Number.isSafeInteger(index) || (index as number) < 0) continue;
    const k = { run, tag, step: step as number, index: index as number };
    if (!out.some((o) => sameCell(o, k))) out.push(k);
    if (out.length >= MAX_CELL_KEYS) break;
  }
  return out;
}
