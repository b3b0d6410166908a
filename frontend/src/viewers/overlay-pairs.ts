// Which other tags plausibly pair with a cell's own tag as an overlay.
//
// The panel offers every other tag of the same kind at the same run and step. In a real logdir that
// is many (molecules/formats, molecules/drugs, structure/...), and a checklist of all of them in
// every cell buries the media. A tag's natural partner is the one that differs only by its role:
// `structure/predicted` and `structure/true`, `cloud_pred` and `cloud_gt`. Those are offered first;
// the rest stay reachable in the cell's menu.

export type Role = "pred" | "truth";

const PRED = "predicted|predictions?|preds?|outputs?";
const TRUTH = "ground[_-]?truth|groundtruth|truth|true|gt|targets?|labels?";
const ROLE = new RegExp(`^(?:${PRED})$`, "i");
const SUFFIX = new RegExp(`^(.*?)([/_.-])(${PRED}|${TRUTH})$`, "i");
const PREFIX = new RegExp(`^(${PRED}|${TRUTH})([/_.-])(.+)$`, "i");

export interface TagRole {
  /** The tag without its role word, with where the word sat, so `a/pred` never pairs with `pred/a`. */
  stem: string;
  role: Role;
}

/** The role a tag's name gives it (a prediction or a reference), or null when it names none. */
export function tagRole(tag: string): TagRole | null {
  const s = SUFFIX.exec(tag);
  if (s) return { stem: `${s[1]}${s[2]}*`, role: ROLE.test(s[3]) ? "pred" : "truth" };
  const p = PREFIX.exec(tag);
  if (p) return { stem: `*${p[2]}${p[3]}`, role: ROLE.test(p[1]) ? "pred" : "truth" };
  return null;
}

/** `a` and `b` are the prediction and the reference of the same thing. */
export function isPair(a: string, b: string): boolean {
  const ra = tagRole(a);
  const rb = tagRole(b);
  return !!ra && !!rb && ra.stem === rb.stem && ra.role !== rb.role;
}

/**
 * Whether an overlay shows before the user has said anything: the reference over its prediction,
 * as in the talk (predicted blue over true red). Only in the prediction's cells: the reference's own
 * cells stay the plain reference, so the two cards do not turn into two copies of one overlay.
 */
export function overlayDefaultOn(own: string, other: string): boolean {
  return isPair(own, other) && tagRole(own)?.role === "pred";
}

/**
 * Shown state of an overlay: what the user set grid-wide, else the default above, which a viewer
 * may turn off (`pairsOn` false) where an overlay only pays when asked for.
 */
export function overlayShown(own: string, other: string, shown: Record<string, boolean>, pairsOn = true): boolean {
  return shown[other] ?? (pairsOn && overlayDefaultOn(own, other));
}

/** Offered overlays split into the plausible partners and everything else, each in name order. */
export function rankOverlays<T extends { tag: string }>(own: string, items: readonly T[]): { paired: T[]; others: T[] } {
  const byName = (x: T, y: T) => x.tag.localeCompare(y.tag);
  return {
    paired: items.filter((it) => isPair(own, it.tag)).sort(byName),
    others: items.filter((it) => !isPair(own, it.tag)).sort(byName),
  };
}
