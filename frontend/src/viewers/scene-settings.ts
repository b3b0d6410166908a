// What the 3D and molecule viewers share that needs no three.js: the camera-sync setting and the
// colours of overlaid items. Kept apart so the molecule viewer (3Dmol) does not load three.js.
import type { ViewerSettings } from "./types";

/** Point-cloud classes hidden, by id (keys 1–9 toggle them with the masks' classes). */
export const POINT_HIDDEN_CLASSES = "pc.hiddenClasses";

export type CameraSync = "off" | "row" | "grid";
export const SYNC_KEY = "3d.cameraSync";

export function readSync(s: ViewerSettings): CameraSync {
  const v = s[SYNC_KEY];
  return v === "off" || v === "grid" ? v : "row";
}

/** Distinct colours for overlaid items; the first two follow the convention red = truth, blue = prediction. */
export const OVERLAY_COLORS = ["#1e63d6", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#17becf", "#8c564b", "#e377c2"];

/**
 * Colours of overlaid items, one per tag, all distinct: a truth-like tag gets red and a
 * prediction-like one blue (the convention of the talk), the rest take the next free colour.
 */
export function overlayColors(tags: readonly string[]): string[] {
  const used = new Set<string>();
  const out: string[] = new Array<string>(tags.length).fill("");
  const prefer = (tag: string) =>
    /pred|output|recon|fake|gen/i.test(tag) ? OVERLAY_COLORS[0] : /true|truth|gt|target|label|real|ref/i.test(tag) ? OVERLAY_COLORS[1] : "";
  tags.forEach((t, i) => {
    const c = prefer(t);
    if (c && !used.has(c)) {
      out[i] = c;
      used.add(c);
    }
  });
  tags.forEach((_, i) => {
    if (out[i]) return;
    const c = OVERLAY_COLORS.find((x) => !used.has(x)) ?? OVERLAY_COLORS[i % OVERLAY_COLORS.length];
    out[i] = c;
    used.add(c);
  });
  return out;
}
