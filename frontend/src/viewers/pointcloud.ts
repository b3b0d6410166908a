// Point clouds from the binary arrays, straight into a BufferGeometry: every point is drawn
// (a million included), coloured by rgb, class or height, with 3D boxes, vectors and overlays;
// against an overlaid partner of the same size, the points whose class changed.
import {
  ArrowHelper, BoxGeometry, BufferAttribute, BufferGeometry, Color, EdgesGeometry, Group, LineBasicMaterial,
  LineSegments, Points, PointsMaterial, Quaternion, Vector3,
} from "three";
import type { ItemMeta, ItemRef, PointCloudMeta } from "../api-types";
import {
  boxesAbove, classRGB, countLabels, defaultPointSize, effectiveColorBy, heightRGB, labelArray, movingPointBudget, ramp,
  sampleIndex, visibleIndex, type ColorBy,
} from "./pointcloud-data";
import { POINT_HIDDEN_CLASSES } from "./scene-settings";
import { className, classColor, classColorMap, CLASS_KEYS, keyedClasses, rgbToHex, textColorOn } from "./segmentation/colors";
import { boundsOf, overlayColors, readSync, View3D } from "./three-shared";
import { isPair, overlayShown, tagRole } from "./overlay-pairs";
import { changedPoints, changedRGB, diffShort, diffSummary, type PointDiff } from "./pointcloud-compare";
import { legendRow, message, OVERLAY_SHOWN_KEY, overlayControls, readFlags, root3d, select, setReadout, syncSelect } from "./three-ui";
import type { Viewer, ViewerContext, ViewerInstance, ViewerSettings } from "./types";
import { CellMenu, heading, line } from "./viewer-chrome";
import { checkbox, displayText, h, keyHint, labelToggles } from "./viewer-dom";

export const KEYS = {
  colorBy: "pc.colorBy",
  pointSize: "pc.pointSize",
  hiddenClasses: POINT_HIDDEN_CLASSES,
  minScore: "pc.minScore",
  up: "pc.up",
  changed: "pc.changed",
} as const;

/** Changed points against a partner: these stand out, the unchanged ones recede. */
const CHANGED_RGB = [255, 61, 0] as const;
const UNCHANGED_RGB = [200, 204, 210] as const;

interface Cloud {
  meta: PointCloudMeta;
  positions: Float32Array;
  colors: Uint8Array | null;
  labels: Uint8Array | Uint16Array | Uint32Array | null;
}

/**
 * Another tag's cloud at this step; its positions are fetched when it is first shown, its labels
 * when its changed points are first asked for.
 */
interface Overlay {
  tag: string;
  ref: ItemRef;
  meta: PointCloudMeta;
  color: string;
  points: Points | null;
  loading?: Promise<void>;
  labels?: Uint8Array | Uint16Array | Uint32Array | null;
  labelsLoading?: Promise<void>;
  /** This cloud's classes against the partner's, once both labels are in. */
  diff?: PointDiff;
}

/**
 * Overlays of clouds start off even for an obvious pair: the prediction and the reference of a
 * scan usually share its points and differ in labels and boxes, and solid overlay colours over the
 * same points would hide exactly that. Molecules and meshes differ in shape, so theirs start on.
 */
const PAIRS_ON = false;

/** Below this width (CSS px) box labels would cover the cloud they name: boxes are drawn bare. */
const MIN_LABEL_WIDTH = 200;

const UNIT_BOX = new EdgesGeometry(new BoxGeometry(1, 1, 1));

function num(v: unknown, fallback: number): number {
  return typeof v === "number" && Number.isFinite(v) ? v : fallback;
}

class PointCloudView implements ViewerInstance {
  private readonly view: View3D;
  private readonly root: HTMLDivElement;
  private readonly menu: CellMenu;
  private readonly panel: HTMLDivElement;
  private destroyed = false;
  private readonly geometry = new BufferGeometry();
  private readonly material = srgbVertexColors(new PointsMaterial({ size: 2, sizeAttenuation: false, vertexColors: true }));
  private readonly points: Points;
  /** Drawn instead of `points` while the camera moves: the same buffers, a spread-out subset index. */
  private readonly liteGeometry = new BufferGeometry();
  private readonly liteMaterial = srgbVertexColors(new PointsMaterial({ size: 2, sizeAttenuation: false, vertexColors: true }));
  private readonly lite: Points;
  private liteKey = "";
  /** Indices of the shown points when some classes are hidden; null = all. */
  private shownIndex: Uint32Array | null = null;
  private readonly boxes = new Group();
  private readonly vectors = new Group();
  private readonly counts: Map<number, number>;
  private settings: ViewerSettings = {};
  private applied = { colorBy: "", hidden: "", colors: "", up: "" };
  private readonly labelsToDraw: { at: Vector3; text: string; color: string }[] = [];
  private fitted = "";

  constructor(
    el: HTMLElement,
    private readonly ref: ItemRef,
    private readonly cloud: Cloud,
    private readonly overlays: Overlay[],
    private readonly ctx: ViewerContext,
  ) {
    const { root, panel } = root3d(el);
    this.root = root;
    this.panel = panel;
    this.view = new View3D(root, {
      annotate: (g, project) => this.drawLabels(g, project),
      prepare: (moving) => this.prepare(moving),
      // Points are squares of a set pixel size: supersampling would only shrink them, at 4x the cost.
      supersample: false,
    });
    root.append(panel);
    this.menu = new CellMenu(root, () => this.menuContents(), "Colours, size, boxes and overlays", "menu");
    root.dataset.numPoints = String(cloud.meta.num_points);
    const position = new BufferAttribute(cloud.positions, 3);
    this.geometry.setAttribute("position", position);
    // One attribute object in both geometries: three.js uploads it to the GPU once.
    this.liteGeometry.setAttribute("position", position);
    this.points = new Points(this.geometry, this.material);
    this.lite = new Points(this.liteGeometry, this.liteMaterial);
    this.lite.visible = false;
    // Bounds once from the full set; the subset must not be culled or refitted on its own.
    this.geometry.computeBoundingSphere();
    this.liteGeometry.boundingSphere = this.geometry.boundingSphere;
    this.view.scene.add(this.points, this.lite, this.boxes, this.vectors);
    for (const o of overlays) if (o.points) this.view.scene.add(o.points);
    this.counts = cloud.labels ? countLabels(cloud.labels) : new Map();
    // The classes keys 1–9 toggle (panel/keyboard.ts), as the masks' viewers list theirs.
    root.dataset.classIds = keyedClasses(this.counts.keys(), cloud.meta.class_labels).join(" ");
    this.buildVectors();
    this.update(ctx.settings);
  }

  update(settings: ViewerSettings): void {
    this.settings = settings;
    const s = settings;
    const colorBy = effectiveColorBy(s[KEYS.colorBy], this.cloud.meta);
    const hidden = this.hiddenClasses();
    // Picked in the panel, else logged with the class labels, else the stable default.
    const overrides = classColorMap(this.cloud.meta.class_labels, readColors(s));
    const up = s[KEYS.up] === "y" ? "y" : "z";
    const isShown = this.shownFn();
    const overlaid = this.overlays.some((o) => o.points && isShown(o.tag));
    const diff = this.changedDiff();
    const changed = diff?.ok ? diff.mask : null;
    const mode = changed ? "+changed" : overlaid ? "+overlay" : "";
    const key = { colorBy: colorBy + mode, hidden: [...hidden].join(","), colors: JSON.stringify(overrides), up };
    // Recolouring a million points is the only costly step: redo it only when its inputs change.
    if (key.colorBy !== this.applied.colorBy || key.colors !== this.applied.colors || key.up !== this.applied.up) this.recolor(colorBy, overrides, up, overlaid, changed);
    if (key.hidden !== this.applied.hidden) {
      this.shownIndex = this.cloud.labels ? visibleIndex(this.cloud.labels, hidden) : null;
      this.geometry.setIndex(this.shownIndex ? new BufferAttribute(this.shownIndex, 1) : null);
    }
    this.root.dataset.shownPoints = String(this.shownIndex?.length ?? this.cloud.meta.num_points);
    this.applied = key;
    this.material.size = Math.min(10, Math.max(1, num(s[KEYS.pointSize], defaultPointSize(this.cloud.meta.num_points))));
    // The moving subset is sparser: one pixel bigger keeps its shape reading as a surface.
    this.liteMaterial.size = this.material.size + 1;
    for (const o of this.overlays) {
      if (!o.points) {
        if (isShown(o.tag)) this.load(o);
        continue;
      }
      // Over the same points, the partner's solid colour would hide which ones changed.
      o.points.visible = isShown(o.tag) && !changed;
      (o.points.material as PointsMaterial).size = this.material.size;
    }
    this.buildBoxes(num(s[KEYS.minScore], 0));
    this.view.sync = readSync(s);
    if (this.fitted !== up) {
      this.fitted = up;
      this.view.fit(boundsOf(this.points), up === "z" ? new Vector3(0, 0, 1) : new Vector3(0, 1, 0));
    }
    setReadout(this.root, diff ? { long: diffSummary(diff), short: diffShort(diff) } : null, "changed-points");
    this.renderLegend(colorBy, hidden, overrides, up, overlaid, diff);
    this.menu.refresh();
    this.view.requestRender();
  }

  /**
   * The overlay whose classes "changed points" compares with: the prediction's truth (or the
   * truth's prediction, `cloud_true` for `cloud_pred`) when shown and labelled, at the same batch
   * index where there is one. Other overlays are other scans, not this one's labels.
   */
  private partner(): Overlay | null {
    if (!this.cloud.labels) return null;
    const isShown = this.shownFn();
    const shown = this.overlays.filter((o) => isPair(this.ref.tag, o.tag) && isShown(o.tag) && o.meta.label_bytes);
    return shown.find((o) => o.ref.index === this.ref.index) ?? shown[0] ?? null;
  }

  /** The changed points, when asked for (grid-wide) and a partner is shown; null otherwise or while its labels load. */
  private changedDiff(): PointDiff | null {
    const o = this.settings[KEYS.changed] === true ? this.partner() : null;
    if (!o || !this.cloud.labels) return null;
    if (o.labels === undefined) {
      this.loadLabels(o);
      return null;
    }
    if (!o.labels) return { ok: false, reason: `${o.tag}'s classes could not be loaded` };
    if (!o.diff) {
      const own = { labels: this.cloud.labels, classLabels: this.cloud.meta.class_labels };
      const other = { labels: o.labels, classLabels: o.meta.class_labels };
      // From the reference to the prediction when the tags say which is which, else from the overlay.
      o.diff = tagRole(this.ref.tag)?.role === "truth" && tagRole(o.tag)?.role === "pred" ? changedPoints(own, other) : changedPoints(other, own);
    }
    return o.diff;
  }

  private loadLabels(o: Overlay): void {
    if (o.labelsLoading) return;
    o.labelsLoading = this.ctx.source
      .fetchPoints(o.ref, "labels", this.ctx.signal)
      .then((buf) => {
        o.labels = labelArray(buf, o.meta.label_bytes);
      })
      .catch((err: Error) => {
        if (err.name !== "AbortError") o.labels = null;
      })
      .then(() => {
        if (!this.destroyed) this.update(this.settings);
      });
  }

  resize(): void {
    this.view.requestRender();
  }

  destroy(): void {
    this.destroyed = true;
    this.menu.destroy();
    this.view.destroy();
    this.geometry.dispose();
    this.liteGeometry.dispose();
    this.material.dispose();
    this.liteMaterial.dispose();
    for (const o of this.overlays) o.points?.geometry.dispose();
    this.root.remove();
  }

  /** Before each frame: the full cloud at rest; while moving, a subset sized to keep frames quick. */
  private prepare(moving: boolean): void {
    const drawn = this.shownIndex ? this.shownIndex.length : this.cloud.meta.num_points;
    const budget = moving ? movingPointBudget(this.view.lastFull, drawn) : drawn;
    const useLite = budget < drawn;
    if (useLite) {
      const key = `${this.applied.hidden}/${budget}`;
      if (key !== this.liteKey) {
        this.liteKey = key;
        const subset = sampleIndex(this.cloud.meta.num_points, this.shownIndex, budget);
        if (subset) this.liteGeometry.setIndex(new BufferAttribute(subset, 1));
      }
    }
    this.points.visible = !useLite;
    this.lite.visible = useLite;
  }

  private hiddenClasses(): Set<number> {
    const hidden = new Set<number>();
    for (const [k, v] of Object.entries(readFlags(this.settings, KEYS.hiddenClasses))) if (v) hidden.add(Number(k));
    return hidden;
  }

  private recolor(colorBy: ColorBy, overrides: Record<string, string>, up: "y" | "z", overlaid: boolean, changed: Uint8Array | null): void {
    const c = this.cloud;
    let rgb: Uint8Array;
    if (changed) rgb = changedRGB(changed, CHANGED_RGB, UNCHANGED_RGB);
    else if (overlaid) {
      // Overlaid clouds are told apart by one solid colour per item.
      const [r, g, b] = new Color(this.ownColor()).toArray().map((x) => Math.round(x * 255));
      rgb = new Uint8Array(c.meta.num_points * 3);
      for (let i = 0; i < rgb.length; i += 3) {
        rgb[i] = r;
        rgb[i + 1] = g;
        rgb[i + 2] = b;
      }
    } else if (colorBy === "rgb" && c.colors) rgb = c.colors;
    else if (colorBy === "class" && c.labels) rgb = classRGB(c.labels, overrides);
    else rgb = heightRGB(c.positions, up === "z" ? 2 : 1);
    const color = new BufferAttribute(rgb, 3, true);
    this.geometry.setAttribute("color", color);
    this.liteGeometry.setAttribute("color", color);
  }

  private ownColor(): string {
    return overlayColors([this.ref.tag, ...this.overlays.map((o) => o.tag)])[0];
  }

  private buildBoxes(minScore: number): void {
    this.boxes.clear();
    this.labelsToDraw.length = 0;
    for (const b of boxesAbove(this.cloud.meta.boxes, minScore)) {
      const color = b.color ? rgbToHex(b.color) : "#ff9800";
      const box = new LineSegments(UNIT_BOX, new LineBasicMaterial({ color }));
      box.position.set(...b.center);
      const [w, x, y, z] = b.rotation;
      box.quaternion.copy(new Quaternion(x, y, z, w).normalize());
      box.scale.set(...b.size);
      this.boxes.add(box);
      const text = b.score === null || b.score === undefined ? b.label : `${b.label} ${b.score.toFixed(2)}`;
      if (text) {
        // The label sits above the box's top face along the box's own up.
        const top = new Vector3(0, 0, 0.5).applyQuaternion(box.quaternion).multiplyScalar(b.size[2]).add(box.position);
        this.labelsToDraw.push({ at: top, text, color });
      }
    }
  }

  private buildVectors(): void {
    for (const v of this.cloud.meta.vectors) {
      const start = new Vector3(...v.start);
      const dir = new Vector3(...v.end).sub(start);
      const len = dir.length();
      if (len === 0) continue;
      const color = v.color ? rgbToHex(v.color) : "#e91e63";
      this.vectors.add(new ArrowHelper(dir.normalize(), start, len, color, Math.min(len * 0.25, len), Math.min(len * 0.12, len)));
    }
  }

  private drawLabels(g: CanvasRenderingContext2D, project: (p: Vector3) => { x: number; y: number; visible: boolean }): void {
    const width = g.canvas.clientWidth;
    if (!this.labelsToDraw.length || width < MIN_LABEL_WIDTH) return;
    const dpr = g.canvas.width / Math.max(1, width);
    // Text a little smaller in a mid-size cell, and never a label over another one.
    const size = width < 360 ? 10 : 11;
    const lh = size + 3;
    const placed: { x: number; y: number; w: number }[] = [];
    g.save();
    g.scale(dpr, dpr);
    g.font = `${size}px system-ui, sans-serif`;
    g.textBaseline = "bottom";
    for (const l of this.labelsToDraw) {
      const p = project(l.at);
      if (!p.visible) continue;
      // fillText draws the logged label as text, never markup; bidi and zero-width marks shown as such.
      const text = displayText(l.text);
      const w = g.measureText(text).width + 6;
      const x = p.x - w / 2;
      const y = p.y - lh - 1;
      if (placed.some((q) => x < q.x + q.w && q.x < x + w && y < q.y + lh && q.y < y + lh)) continue;
      placed.push({ x, y, w });
      g.fillStyle = l.color;
      g.fillRect(x, y, w, lh);
      g.fillStyle = textColorOn(l.color);
      g.fillText(text, x + 3, p.y - 2);
    }
    g.restore();
  }

  private shownFn(): (tag: string) => boolean {
    const flags = readFlags(this.settings, OVERLAY_SHOWN_KEY);
    return (tag) => overlayShown(this.ref.tag, tag, flags, PAIRS_ON);
  }

  /** Fetch an overlay's positions the first time it is shown; it joins the scene when they arrive. */
  private load(o: Overlay): void {
    if (o.loading) return;
    o.loading = this.ctx.source
      .fetchPoints(o.ref, "positions", this.ctx.signal)
      .then((buf) => {
        if (this.destroyed) return;
        o.points = overlayPoints(buf, o.color);
        this.view.scene.add(o.points);
        this.update(this.settings);
      })
      .catch(() => {
        // An overlay that fails to load is left out; the cell's own cloud still shows.
      });
  }

  private overlayControls() {
    const own = { tag: this.ref.tag, color: this.ownColor(), own: true };
    return overlayControls(own, this.overlays.map((o) => ({ tag: o.tag, color: o.color, own: false })), this.settings, (p) => this.ctx.setSettings(p), PAIRS_ON);
  }

  /** The changed points' rows: what the two colours mean, then the count of each class change. */
  private diffRows(d: PointDiff): HTMLElement[] {
    const hex = (c: readonly number[]) => rgbToHex(c as [number, number, number]);
    if (!d.ok) return [h("div", { class: "v3d-row", text: diffSummary(d) })];
    const rows: HTMLElement[] = [
      legendRow(hex(CHANGED_RGB), "changed class", d.changed.toLocaleString()),
      legendRow(hex(UNCHANGED_RGB), "unchanged", (d.total - d.changed).toLocaleString()),
    ];
    for (const p of d.pairs) {
      const row = h("div", { class: "v3d-row", "data-change": `${p.from}>${p.to}` }, h("span", { text: `${p.fromName} → ${p.toName}` }), h("span", { class: "num", text: p.count.toLocaleString() }));
      rows.push(row);
    }
    return rows;
  }

  /** The menu's "changed points" switch, shown with a partner to compare with. */
  private changedMenu(): Node[] {
    const o = this.partner();
    if (!o) return [];
    const on = this.settings[KEYS.changed] === true;
    const sw = checkbox(`changed points vs ${o.tag}`, on, (v) => this.ctx.setSettings({ [KEYS.changed]: v }));
    sw.dataset.control = "changed-points";
    const out: Node[] = [heading("Changed points"), line(sw)];
    const d = this.changedDiff();
    if (d) {
      const note = h("div", { class: "vc-note", "data-control": "changed-summary", text: diffSummary(d) });
      out.push(note, ...(d.ok ? this.diffRows(d) : []));
    }
    return out;
  }

  /** Rows of the class legend, each with its toggle and point count. */
  private classRows(hidden: Set<number>, overrides: Record<string, string>): HTMLElement[] {
    const all = readFlags(this.settings, KEYS.hiddenClasses);
    const keyed = keyedClasses(this.counts.keys(), this.cloud.meta.class_labels);
    return [...this.counts].sort((a, b) => a[0] - b[0]).map(([id, count]) => {
      const name = className(id, this.cloud.meta.class_labels);
      const row = legendRow(classColor(id, overrides), name, count.toLocaleString());
      row.dataset.classId = String(id);
      const cb = checkbox("", !hidden.has(id), (on) => this.ctx.setSettings({ [KEYS.hiddenClasses]: { ...all, [String(id)]: !on } }));
      const text = row.querySelector<HTMLElement>(".v3d-name");
      if (text) labelToggles(cb, text, name);
      row.prepend(cb);
      const key = keyed.indexOf(id);
      if (key >= 0 && key < CLASS_KEYS) row.append(keyHint(key + 1));
      return row;
    });
  }

  private heightRow(up: "y" | "z"): HTMLElement {
    const row = h("div", { class: "v3d-row" });
    const bar = h("span", { class: "v3d-sw" });
    bar.style.width = "60px";
    bar.style.background = `linear-gradient(90deg, ${[0, 0.25, 0.5, 0.75, 1].map((t) => `rgb(${ramp(t).join(",")})`).join(",")})`;
    const t = h("span");
    t.textContent = `height (${up}) low → high`;
    row.append(bar, t);
    return row;
  }

  /** The in-cell legend (shown in large cells only): what the colours mean, and the point count. */
  private renderLegend(colorBy: ColorBy, hidden: Set<number>, overrides: Record<string, string>, up: "y" | "z", overlaid: boolean, diff: PointDiff | null): void {
    const rows: HTMLElement[] = [];
    if (diff) rows.push(...this.overlayControls().legend, ...this.diffRows(diff));
    else if (overlaid) rows.push(...this.overlayControls().legend);
    else if (colorBy === "class") rows.push(...this.classRows(hidden, overrides));
    else if (colorBy === "height") rows.push(this.heightRow(up));
    const count = h("div", { class: "v3d-row" });
    count.textContent = `${this.cloud.meta.num_points.toLocaleString()} points`;
    this.panel.replaceChildren(...rows, count);
  }

  private menuContents(): Node[] {
    const m = this.cloud.meta;
    const set = (p: ViewerSettings) => this.ctx.setSettings(p);
    const colorBy = effectiveColorBy(this.settings[KEYS.colorBy], m);
    const up = this.settings[KEYS.up] === "y" ? "y" : "z";
    const modes: [string, string][] = [];
    if (m.label_bytes) modes.push(["class", "colour: class"]);
    if (m.has_colors) modes.push(["rgb", "colour: rgb"]);
    modes.push(["height", "colour: height"]);
    const by = select("Colour points by", modes, colorBy, (v) => set({ [KEYS.colorBy]: v }));
    by.dataset.control = "color-by";
    const size = h("label", { title: "point size (pixels)" });
    const sl = h("input", { type: "range", min: "1", max: "8", step: "1" });
    sl.value = String(this.material.size);
    sl.dataset.control = "point-size";
    sl.addEventListener("input", () => set({ [KEYS.pointSize]: Number(sl.value) }));
    size.append(document.createTextNode("size"), sl);
    const upSel = select("Which axis points up", [["z", "z up"], ["y", "y up"]], up, (v) => set({ [KEYS.up]: v }));
    upSel.dataset.control = "up";
    const out: Node[] = [heading("Points"), line(by, upSel), line(size), heading("Camera"), line(syncSelect(readSync(this.settings), set))];
    const scored = m.boxes.filter((b) => typeof b.score === "number");
    if (scored.length) {
      const lab = h("label", { title: "hide boxes scoring below" });
      const ms = h("input", { type: "range", min: "0", max: "1", step: "0.01" });
      const cur = num(this.settings[KEYS.minScore], 0);
      ms.value = String(cur);
      ms.dataset.control = "min-score";
      ms.addEventListener("input", () => set({ [KEYS.minScore]: Number(ms.value) }));
      const v = h("span");
      v.textContent = cur.toFixed(2);
      lab.append(document.createTextNode("score ≥"), ms, v);
      out.push(heading(`Boxes (${m.boxes.length})`), line(lab));
    }
    if (colorBy === "class" && this.counts.size) {
      const overrides = classColorMap(m.class_labels, readColors(this.settings));
      out.push(heading("Classes"), ...this.classRows(this.hiddenClasses(), overrides));
    } else if (colorBy === "height") out.push(heading("Colour"), this.heightRow(up));
    const count = h("div", { class: "vc-note" });
    count.textContent = `${m.num_points.toLocaleString()} points`;
    out.push(count, ...this.overlayControls().menu, ...this.changedMenu());
    return out;
  }
}


function overlayPoints(buf: ArrayBuffer, color: string): Points {
  const g = new BufferGeometry();
  g.setAttribute("position", new BufferAttribute(new Float32Array(buf), 3));
  return new Points(g, new PointsMaterial({ color, size: 2, sizeAttenuation: false }));
}

/**
 * The colour bytes (logged rgb, class and height colours) are sRGB already, the legend's own
 * values; three.js would take them for linear and brighten them again on output (a class
 * #3cb44b came out as pale #85da94). So these materials skip that output conversion.
 */
function srgbVertexColors(m: PointsMaterial): PointsMaterial {
  m.onBeforeCompile = (shader) => {
    shader.fragmentShader = shader.fragmentShader.replace("#include <colorspace_fragment>", "");
  };
  return m;
}

function readColors(s: ViewerSettings): Record<string, string> {
  const v = s["seg.colors"];
  const out: Record<string, string> = {};
  if (v && typeof v === "object") for (const [k, x] of Object.entries(v as Record<string, unknown>)) if (typeof x === "string") out[k] = x;
  return out;
}

async function loadCloud(ref: ItemRef, meta: PointCloudMeta, ctx: ViewerContext): Promise<Cloud> {
  const [pos, col, lab] = await Promise.all([
    ctx.source.fetchPoints(ref, "positions", ctx.signal),
    meta.has_colors ? ctx.source.fetchPoints(ref, "colors", ctx.signal) : Promise.resolve(null),
    meta.label_bytes ? ctx.source.fetchPoints(ref, "labels", ctx.signal) : Promise.resolve(null),
  ]);
  const positions = new Float32Array(pos);
  if (positions.length !== meta.num_points * 3) {
    throw new Error(`expected ${meta.num_points} xyz positions, got ${positions.length / 3}`);
  }
  return {
    meta,
    positions,
    colors: col ? new Uint8Array(col) : null,
    labels: lab ? labelArray(lab, meta.label_bytes) : null,
  };
}

export const viewer: Viewer = {
  async mount(el: HTMLElement, ref: ItemRef, meta: ItemMeta, ctx: ViewerContext): Promise<ViewerInstance> {
    const pc = meta.point_cloud;
    let cloud: Cloud;
    try {
      if (!pc) throw new Error("the item has no point-cloud metadata");
      cloud = await loadCloud(ref, pc, ctx);
    } catch (err) {
      if ((err as Error).name === "AbortError") throw err;
      const { root } = root3d(el);
      message(root, `Could not show this point cloud: ${(err as Error).message}`);
      return { destroy: () => root.remove() };
    }
    const others = (ctx.overlays ?? []).filter((o) => o.meta.kind === "pointcloud" && o.meta.point_cloud);
    const colors = overlayColors([ref.tag, ...others.map((o) => o.ref.tag)]);
    // Overlays shown from the start (the obvious partner, or ones turned on) load with the cloud;
    // the rest only when the user ticks them, so a cell never downloads every cloud of the step.
    const flags = readFlags(ctx.settings, OVERLAY_SHOWN_KEY);
    const overlays: Overlay[] = others.map((o, i) => ({ tag: o.ref.tag, ref: o.ref, meta: o.meta.point_cloud!, color: colors[i + 1], points: null }));
    await Promise.all(
      overlays.map(async (o) => {
        if (!overlayShown(ref.tag, o.tag, flags, PAIRS_ON)) return;
        try {
          o.points = overlayPoints(await ctx.source.fetchPoints(o.ref, "positions", ctx.signal), o.color);
        } catch (err) {
          if ((err as Error).name === "AbortError") throw err;
        }
      }),
    );
    return new PointCloudView(el, ref, cloud, overlays, ctx);
  },
};
