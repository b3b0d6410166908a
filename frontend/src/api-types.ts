// Types of the plugin's HTTP API (docs/http-api.md). The backend and every viewer agree on these.

/**
 * A logged step, exactly (steps are int64): a number while it is a safe integer
 * (|step| <= 2^53 - 1), else its decimal string. Compare with `compareSteps` (api.ts).
 */
export type Step = number | string;

export type MediaKind =
  | "image" | "video" | "audio" | "object3d" | "pointcloud" | "molecule" | "html" | "text";

/** Where a series came from: our own records or a built-in TensorBoard plugin's. */
export type Source = "media_panel" | "images" | "audio" | "mesh" | "text";

export interface RunInfo { name: string; skipped_records: number }

/** How far the background indexing of the logdir got (the `runs` and `reload` answers). */
export interface IndexProgress {
  files_done: number;
  files_total: number;
  bytes_done: number;
  bytes_total: number;
  /** Every complete record of the files listed is indexed. */
  done: boolean;
}

/** The `runs` and `reload` answer. */
export interface RunsAnswer {
  /** The `generation` number before this answer was built (what polling compares with). */
  generation: number;
  runs: RunInfo[];
  progress: IndexProgress;
  /** What kept the latest refresh from seeing the logdir (a failed remote listing). */
  warnings: string[];
}

export interface TagInfo {
  run: string;
  tag: string;
  kind: MediaKind;
  source: Source;
  step_count: number;
  first_step: number;
  last_step: number;
  max_items: number;
  /** Changes whenever the series does (a step logged again included): polling redraws on it. */
  version: number;
  /** The markdown logged as the summary's description (SummaryMetadata.summary_description), or "". */
  description?: string;
}

export interface RunSeries {
  steps: number[];      // evenly spread over the window, first and last logged step included
  counts: number[];     // items per step, same length as steps
  wall_times: number[];
  total: number;        // logged steps inside the window
}

export interface SeriesResponse {
  tag: string;
  step_min: number | null;
  step_max: number | null;
  runs: Record<string, RunSeries>;
}

/** `color` is "#rrggbb" when the user logged one, else null (the viewer picks a stable colour). */
export interface ClassLabel { id: number; name: string; color: string | null }

export interface MaskLayerMeta { name: string; width: number; height: number; class_labels: ClassLabel[] }

/** A scalar layer (heatmap, depth, probability, 16-bit or float image); its values load from `heatmap`. */
export interface HeatmapMeta {
  /** "" for a scalar image's own values. */
  name: string;
  width: number;
  height: number;
  /** The served dtype (float16 is served as float32, exactly). */
  dtype: "float32" | "uint8" | "int8" | "uint16" | "int16" | "int32" | "uint32";
  /** The caller's window, when given. */
  vmin: number | null;
  vmax: number | null;
  /** The caller's default colormap. */
  colormap: string;
  /** Finite min / max and 1st / 99th percentile, computed when logged. */
  min: number;
  max: number;
  p01: number;
  p99: number;
  nan_count: number;
  /** "" for a heatmap; "confidence" for a mask layer's per-pixel confidence (the mask named by `of`). */
  role: "" | "confidence";
  of: string;
}

export interface Box2D {
  min_x: number; min_y: number; max_x: number; max_y: number;
  class_id: number; scores: Record<string, number>; caption: string;
}

export interface BoxLayerMeta {
  name: string; domain: "fraction" | "pixel"; class_labels: ClassLabel[]; boxes: Box2D[];
}

export interface Box3DMeta {
  center: [number, number, number]; size: [number, number, number];
  rotation: [number, number, number, number]; // quaternion w x y z
  label: string; score: number | null; color: [number, number, number] | null;
}

export interface Vector3DMeta {
  start: [number, number, number]; end: [number, number, number]; color: [number, number, number] | null;
}

export interface PointCloudMeta {
  num_points: number;
  label_bytes: 0 | 1 | 2 | 4;
  has_colors: boolean;
  class_labels: ClassLabel[];
  boxes: Box3DMeta[];
  vectors: Vector3DMeta[];
}

export interface ItemMeta {
  index: number;
  kind: MediaKind;
  mime: string;         // the type the server serves the payload as (checked against its bytes)
  /** Opaque, changes when the bytes behind the item do (a step logged again); in payload URLs. */
  key: string;
  format: string;
  caption: string;
  size: number;         // payload bytes
  width: number; height: number;
  fps: number; frames: number;
  sample_rate: number; channels: number; duration: number;
  title: string;
  masks: MaskLayerMeta[];
  boxes: BoxLayerMeta[];
  point_cloud: PointCloudMeta | null;
  /** Scalar layers over the image, like masks. */
  heatmaps?: HeatmapMeta[];
  /** A scalar image's values (format "scalar": no encoded payload). */
  values?: HeatmapMeta | null;
  /** A text tensor's cells (`tf.summary.text`, `add_text`), as TensorBoard lays them out. */
  text?: TextCells;
}

/**
 * A text tensor as rows of markdown cells: shape [] a scalar (one cell), [n] a vector (one row
 * per element), [r, c] a table; `rank` is the logged tensor's (above 2, its first 2-D slice).
 */
export interface TextCells { shape: number[]; rows: string[][]; rank: number }

export interface ItemsResponse {
  run: string; tag: string; step: Step; wall_time: number; items: ItemMeta[];
}

/** Identifies one logged item. */
export interface ItemRef { run: string; tag: string; step: Step; index: number }

export type PointArray = "positions" | "colors" | "labels";
