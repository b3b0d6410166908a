// The grid-wide settings of the annotated-image viewer: typed reads with defaults.
import type { ViewerSettings } from "../types";

export type MaskLayout = "over" | "beside" | "panels";
export type MaskView = "classes" | "difference";

export interface AnnotationSettings {
  layout: MaskLayout;
  hideImage: boolean;
  view: MaskView;
  layerVisible: Record<string, boolean>;
  layerOpacity: Record<string, number>;
  /** class id -> hidden; absent ids fall back to the default (background hidden, others shown) */
  hiddenClasses: Record<string, boolean>;
  colors: Record<string, string>;
  boxLayerVisible: Record<string, boolean>;
  boxHiddenClasses: Record<string, boolean>;
  thresholds: Record<string, number>;
  captions: boolean;
}

export const KEYS = {
  layout: "seg.layout",
  hideImage: "seg.hideImage",
  view: "seg.view",
  layerVisible: "seg.layerVisible",
  layerOpacity: "seg.layerOpacity",
  hiddenClasses: "seg.hiddenClasses",
  colors: "seg.colors",
  boxLayerVisible: "box.layerVisible",
  boxHiddenClasses: "box.hiddenClasses",
  thresholds: "box.thresholds",
  captions: "box.captions",
} as const;

export const DEFAULT_OPACITY = 0.6;

function rec<T>(v: unknown, ok: (x: unknown) => x is T): Record<string, T> {
  const out: Record<string, T> = {};
  if (v && typeof v === "object" && !Array.isArray(v)) {
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) if (ok(x)) out[k] = x;
  }
  return out;
}
const isBool = (x: unknown): x is boolean => typeof x === "boolean";
const isNum = (x: unknown): x is number => typeof x === "number" && Number.isFinite(x);
const isStr = (x: unknown): x is string => typeof x === "string";

export function readSettings(s: ViewerSettings): AnnotationSettings {
  const layout = s[KEYS.layout];
  const view = s[KEYS.view];
  return {
    layout: layout === "beside" || layout === "panels" ? layout : "over",
    hideImage: s[KEYS.hideImage] === true,
    view: view === "difference" ? "difference" : "classes",
    layerVisible: rec(s[KEYS.layerVisible], isBool),
    layerOpacity: rec(s[KEYS.layerOpacity], isNum),
    hiddenClasses: rec(s[KEYS.hiddenClasses], isBool),
    colors: rec(s[KEYS.colors], isStr),
    boxLayerVisible: rec(s[KEYS.boxLayerVisible], isBool),
    boxHiddenClasses: rec(s[KEYS.boxHiddenClasses], isBool),
    thresholds: rec(s[KEYS.thresholds], isNum),
    captions: s[KEYS.captions] !== false,
  };
}
