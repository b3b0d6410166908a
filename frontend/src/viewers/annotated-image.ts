// Images with segmentation masks, scalar layers (heatmaps, a scalar image's own values) and 2D
// boxes: layers, classes, layouts, IoU, a difference view, colormaps, window/level, thresholds and
// the value probe.
//
// Alignment: the image, every scalar and mask canvas fill the same plane (width and height
// 100 %), so the browser scales them identically at any zoom and devicePixelRatio; mask canvases
// keep the mask's own resolution and are magnified nearest-neighbour. Zoomed (view-transform.ts,
// locked across the card) the plane takes the image's size in px and one CSS transform; the box
// layer is placed on the same rectangle without scaling, so borders and captions keep their size.
import type { ClassLabel, HeatmapMeta, ItemMeta, ItemRef, MaskLayerMeta } from "../api-types";
import { COLORBAR_CSS, COLORMAPS, COLORMAP_LABELS, colorBar, colormapLut, paintValues } from "./colormap";
import {
  HEAT_KEYS, layerColormap, layerThreshold, readHeatSettings, resolveWindow, scaleGroupFor, sliderRange,
  type HeatSettings, type ScaleGroup, type ScaleMember, type Window,
} from "./heatmap-scale";
import { decodeValues, probePixel, type ScalarArray } from "./heatmap-values";
import { attachProbe, pixelsOf, rgbText, viewMapping, type Pixels } from "./pixel-probe";
import type { Viewer, ViewerContext, ViewerInstance, ViewerSettings } from "./types";
import { boxLabel, boxToPercent, placeCaptions, scoreRanges, visibleBoxes } from "./segmentation/boxes";
import { className, classColor, classColorMap, colorTable, isBackgroundClass, CLASS_KEYS, keyedClasses, mergeLabels, textColorOn } from "./segmentation/colors";
import { maxClassId, paintDifference, paintMask, paintUnsure } from "./segmentation/compose";
import { computeIoU, differenceMask, sameLabelSet, type IoUReport } from "./segmentation/metrics";
import { DEFAULT_OPACITY, KEYS, readSettings, type AnnotationSettings } from "./segmentation/settings";
import { CellMenu, heading, line } from "./viewer-chrome";
import { checkbox, displayText, ensureStyle, h, keyHint, labelToggles } from "./viewer-dom";
import {
  VIEW_CSS, attachGestures, cssTransform, joinGroup, toScreen, zoomTools, type Size, type ViewTransform,
} from "./view-transform";

const DIFF_COLOR: [number, number, number] = [255, 0, 255];
const GAP = 4;
/** Narrowest box (CSS px) that keeps its caption: below it the caption would be a few letters and an ellipsis. */
const CAPTION_MIN_PX = 44;

interface LoadedLayer { meta: MaskLayerMeta; ids: Uint16Array; maxId: number }

/** A scalar layer with its values; name "" is a scalar image's own values. */
interface LoadedScalar { meta: HeatmapMeta; values: ScalarArray }

interface Stage {
  root: HTMLDivElement;
  /** Holds the picture and every canvas: the one element the zoom transforms. */
  plane: HTMLDivElement;
  /** The stage's size in CSS px, as fit() set it (read without layout). */
  size: Size;
  /** The picture: the logged image, or a scalar image's colour-mapped values. */
  img: HTMLImageElement | HTMLCanvasElement;
  heat: Map<string, HTMLCanvasElement>;     // heatmap layer name -> canvas
  canvases: Map<string, HTMLCanvasElement>; // layer name -> canvas ("" = difference)
  boxes: HTMLDivElement;
  label: HTMLDivElement;
}

const CSS = `
.ai-root{position:relative;width:100%;height:100%;display:flex;flex-direction:column;font:12px/1.3 system-ui,sans-serif;color:#212121;overflow:hidden;min-height:0}
.ai-stages{position:relative;flex:1;min-height:0;display:flex;gap:${GAP}px;align-items:center;justify-content:center}
.ai-stages.col{flex-direction:column}
.ai-stage{position:relative;flex:none;background:#f0f0f0 repeating-conic-gradient(#e0e0e0 0 25%,transparent 0 50%) 0 0/12px 12px}
.ai-plane,.ai-plane>img,.ai-plane>canvas{position:absolute;left:0;top:0;width:100%;height:100%;display:block}
.ai-plane>canvas{image-rendering:pixelated;pointer-events:none}
.ai-plane>img.px{image-rendering:pixelated}
.ai-plane>img.hidden,.ai-plane>canvas.hidden{visibility:hidden}
.ai-stage.vt-zoomed{overflow:hidden}
.ai-stage.vt-zoomed>.ai-plane{transform-origin:0 0}
.ai-boxes{position:absolute;inset:0;pointer-events:none;overflow:hidden}
.ai-box{position:absolute;box-sizing:border-box;border:2px solid}
.ai-box.dash{border-style:dashed}
.ai-box>span{position:absolute;left:-2px;bottom:100%;white-space:nowrap;color:#fff;font-size:11px;padding:0 3px;line-height:14px;max-width:calc(100% + 4px);overflow:hidden;text-overflow:ellipsis}
.ai-box[data-cap=inside-top]>span{bottom:auto;top:0}
.ai-box[data-cap=below]>span{bottom:auto;top:100%}
.ai-box[data-cap=inside-bottom]>span{bottom:0}
.ai-small .ai-box{border-width:1px}
.ai-small .ai-box>span{font-size:9px;line-height:11px;padding:0 2px}
.ai-box.nocap>span{display:none}
.ai-label{position:absolute;left:0;top:0;background:rgba(0,0,0,.55);color:#fff;font-size:11px;padding:0 4px;pointer-events:none;max-width:100%;overflow:hidden;text-overflow:ellipsis;white-space:nowrap;box-sizing:border-box}
.ai-small .ai-label{font-size:9px;padding:0 2px}
.ai-miou{position:absolute;left:3px;bottom:3px;z-index:1;padding:0 5px;border-radius:8px;background:rgba(33,33,33,.66);color:#fff;font-size:10px;line-height:15px;font-variant-numeric:tabular-nums;white-space:nowrap;cursor:default}
.ai-tiny .ai-miou{font-size:9px;line-height:13px;padding:0 4px}
.ai-row{display:flex;align-items:center;gap:4px;padding:1px 0}
.ai-row .name{flex:1;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.ai-row .num{font-variant-numeric:tabular-nums;color:#616161}
.ai-row input[type=range]{width:80px}
.ai-row input[type=color]{width:18px;height:16px;padding:0;border:1px solid #999;background:none}
.ai-heat{padding:2px 0 4px;border-bottom:1px solid #eee}
.ai-heat .ai-row input[type=range]{width:70px;flex:1}
.ai-heat select{flex:1}
${COLORBAR_CSS}
${VIEW_CSS}
`;

/** Mount state of one annotated image; everything drawn from `settings` + fetched arrays. */
class AnnotatedImage implements ViewerInstance {
  private readonly root: HTMLDivElement;
  private readonly stagesEl: HTMLDivElement;
  private readonly caption: HTMLElement | null;
  private readonly menu: CellMenu;
  private readonly miou: HTMLSpanElement | null;
  private stages: Stage[] = [];
  private settings: AnnotationSettings;
  private heatSettings: HeatSettings;
  private readonly labels: ClassLabel[];
  /** Cells of the card sharing one scale, and this cell's place in it. */
  private readonly group: ScaleGroup;
  private readonly member: ScaleMember;
  /** Unsure pixels of each mask layer with a confidence layer, at the current threshold. */
  private readonly unsure = new Map<string, number>();
  /** Values each scalar layer's threshold hides, as last drawn. */
  private readonly hiddenBy = new Map<string, number>();
  private readonly compare: { a: LoadedLayer; b: LoadedLayer; iou: IoUReport; diff: Uint8Array } | null;
  private readonly observer: ResizeObserver;
  private search = "";
  /** The card's locked zoom (null: fit), as last drawn. */
  private view: ViewTransform | null = null;
  private readonly zoom: ReturnType<typeof zoomTools>;
  private readonly detach: (() => void)[] = [];
  /** The picture's decoded RGBA, for the probe (once it first hovers). */
  private pixels: Pixels | null = null;
  private naturalW: number;
  private naturalH: number;

  constructor(
    el: HTMLElement,
    private readonly ref: ItemRef,
    private readonly meta: ItemMeta,
    private readonly ctx: ViewerContext,
    private readonly layers: LoadedLayer[],
    /** A scalar image's own values, drawn as the picture. */
    private readonly base: LoadedScalar | null,
    private readonly heat: LoadedScalar[],
  ) {
    ensureStyle("tbmp-annotated-image", CSS);
    this.settings = readSettings(ctx.settings);
    this.heatSettings = readHeatSettings(ctx.settings);
    this.naturalW = meta.width || base?.meta.width || heat[0]?.meta.width || layers[0]?.meta.width || 1;
    this.naturalH = meta.height || base?.meta.height || heat[0]?.meta.height || layers[0]?.meta.height || 1;
    this.labels = mergeLabels(layers.map((l) => l.meta.class_labels).concat(meta.boxes.map((b) => b.class_labels)));
    this.compare = pickComparison(layers);

    this.root = h("div", { class: "ai-root" });
    // The classes keys 1–9 toggle (panel/keyboard.ts): the menu's, background left out.
    this.root.dataset.classIds = keyedClasses(this.classIds(), this.labels).join(" ");
    this.stagesEl = h("div", { class: "ai-stages" });
    // The caption under the picture, as a plain image's (the toolbar's "captions" shows or hides it).
    this.caption = meta.caption ? h("div", { class: "mp-caption", text: meta.caption }) : null;
    if (this.caption) this.caption.title = displayText(meta.caption);
    this.root.append(this.stagesEl, ...(this.caption ? [this.caption] : []));
    this.showCaption(ctx.settings);
    // The media fills the cell; every control is in the corner button's popover (grid-wide anyway).
    this.menu = new CellMenu(this.root, () => this.drawerContents(), "Layers, classes, boxes and view", "drawer", "ai-drawer");
    // The one figure worth a glance in every cell: a small badge on the image, details in the menu.
    this.miou = this.compare ? h("span", { class: "ai-miou" }) : null;
    if (this.miou && this.compare) {
      const { a, b, iou } = this.compare;
      this.miou.dataset.miou = String(iou.meanIoU);
      this.miou.textContent = `mIoU ${iou.meanIoU.toFixed(3)}`;
      this.miou.title = displayText(`mean IoU of ${a.meta.name} vs ${b.meta.name} over ${iou.perClass.length} classes`);
    }
    // The zoom of the card: its readout, 1:1 and fit, beside the menu's button (on hover).
    const image: Size = { w: this.naturalW, h: this.naturalH };
    this.zoom = zoomTools(el, () => (this.stages[0] ? { view: this.stages[0].size, img: image } : null));
    this.zoom.el.classList.add("ai-zoom");
    this.stagesEl.append(this.zoom.el);
    el.append(this.root);

    this.detach.push(attachGestures(this.stagesEl, el, { viewportAt: (e) => this.viewportAt(e) }));
    this.detach.push(attachProbe(el, this.stagesEl, {
      image,
      views: () => this.stages.map((st) => ({ el: st.root, view: st.size, t: viewMapping(this.view, st.size, image) })),
      valueAt: (x, y) => this.probe(x, y),
      prepare: async () => {
        const img = this.stages.find((st) => st.img instanceof HTMLImageElement)?.img;
        if (img instanceof HTMLImageElement) this.pixels = await pixelsOf(img);
      },
    }));
    this.observer = new ResizeObserver(() => this.fit());
    this.observer.observe(this.stagesEl);
    const stats = new Map(this.scalars().map((l) => [l.meta.name, l.meta] as const));
    this.member = { stats, rescale: () => this.paintScalars() };
    this.group = scaleGroupFor(el, ref.tag);
    if (stats.size) this.group.join(this.member);
    this.render();
    const joined = joinGroup(el, { apply: (t) => this.applyView(t) });
    this.detach.push(() => joined.leave());
  }

  update(settings: ViewerSettings): void {
    this.showCaption(settings);
    this.settings = readSettings(settings);
    this.heatSettings = readHeatSettings(settings);
    this.render();
  }

  resize(): void {
    this.fit();
  }

  destroy(): void {
    for (const d of this.detach) d();
    this.group.leave(this.member);
    this.observer.disconnect();
    this.menu.destroy();
    this.root.remove();
  }

  // ---- settings helpers -------------------------------------------------------------------

  private showCaption(settings: ViewerSettings): void {
    if (this.caption) this.caption.hidden = settings["captions"] === false;
  }

  private set(patch: ViewerSettings): void {
    this.ctx.setSettings(patch);
  }

  private classHidden(id: number): boolean {
    const v = this.settings.hiddenClasses[String(id)];
    return v ?? isBackgroundClass(id, this.labels);
  }

  /** Class colours: picked in the panel, else logged with the labels, else the stable default. */
  private colors(): Record<string, string> {
    return classColorMap(this.labels, this.settings.colors);
  }

  private layerVisible(name: string): boolean {
    return this.settings.layerVisible[name] ?? true;
  }

  private layerOpacity(name: string): number {
    return this.settings.layerOpacity[name] ?? DEFAULT_OPACITY;
  }

  /** Every scalar layer: the item's own values first, then its heatmaps. */
  private scalars(): LoadedScalar[] {
    return this.base ? [this.base, ...this.heat] : this.heat;
  }

  /**
   * Layers over a picture start hidden: at any opacity a colour map over the whole image hides
   * it (the photo, its masks and boxes are what a cell shows first); the menu shows them. A
   * confidence layer's job is its mask's unsure pixels anyway.
   */
  private heatVisible(l: LoadedScalar): boolean {
    return this.heatSettings.visible[l.meta.name] ?? false;
  }

  private heatOpacity(name: string): number {
    return this.heatSettings.opacity[name] ?? DEFAULT_OPACITY;
  }

  /** The window a layer is drawn with: per cell, or the union over the card's cells. */
  private windowOf(l: LoadedScalar): Window {
    const name = l.meta.name;
    const hs = this.heatSettings;
    return resolveWindow(hs.window[name], l.meta, hs.scale === "card" ? this.group.statsOf(name) : null);
  }

  private boxClassHidden(id: number): boolean {
    return this.settings.boxHiddenClasses[String(id)] ?? false;
  }

  /** Every class id worth listing: labelled ones and those present in a mask or a box. */
  private classIds(): number[] {
    const ids = new Set(this.labels.map((l) => l.id));
    for (const layer of this.layers) for (let id = 0; id <= layer.maxId; id++) if (present(layer, id)) ids.add(id);
    for (const bl of this.meta.boxes) for (const b of bl.boxes) ids.add(b.class_id);
    return [...ids].sort((a, b) => a - b);
  }

  // ---- rendering --------------------------------------------------------------------------

  private render(): void {
    const rebuilt = this.buildStages();
    this.paintScalars();
    this.paintMasks();
    this.drawBoxes();
    this.menu.refresh();
    // Sizes change only with the stages, and captions with the boxes: a recolour of a card's
    // cells then forces no layout per cell (each fit reads the cell's size).
    if (rebuilt || this.meta.boxes.length) this.fit();
  }

  /** Which stages the layout needs: [names of mask layers drawn on each; heatmaps go with the image]. */
  private stagePlan(): { title: string; layers: string[]; heat: string[]; image: boolean }[] {
    const s = this.settings;
    const visible = this.layers.filter((l) => this.layerVisible(l.meta.name)).map((l) => l.meta.name);
    const heat = this.heat.filter((l) => this.heatVisible(l)).map((l) => l.meta.name);
    const diff = s.view === "difference" && this.compare ? [""] : null;
    const masks = diff ?? visible;
    if (this.layers.length === 0 || s.layout === "over") return [{ title: "", layers: masks, heat, image: true }];
    const imageStage = { title: "image", layers: [] as string[], heat, image: true };
    const rest =
      s.layout === "beside" || diff
        ? [{ title: diff ? "difference" : "masks", layers: masks, heat: [], image: false }]
        : masks.map((m) => ({ title: m, layers: [m], heat: [], image: false }));
    return s.hideImage ? rest : [imageStage, ...rest];
  }

  /** Builds the stages the layout needs; false when they are already there. */
  private buildStages(): boolean {
    const plan = this.stagePlan();
    const key = JSON.stringify(plan);
    if (this.stagesEl.dataset.plan === key) return false;
    this.stagesEl.dataset.plan = key;
    this.stagesEl.replaceChildren(this.zoom.el);
    this.stages = plan.map((p) => {
      const root = h("div", { class: "ai-stage" });
      root.dataset.stage = p.title || "over";
      const img = this.base ? this.valuesCanvas(this.base) : h("img", { alt: this.meta.caption || this.ref.tag, draggable: "false" });
      if (img instanceof HTMLImageElement) img.src = this.ctx.source.dataUrl(this.ref);
      if (!p.image) img.classList.add("hidden");
      const canvases = new Map<string, HTMLCanvasElement>();
      const heat = new Map<string, HTMLCanvasElement>();
      const plane = h("div", { class: "ai-plane" });
      plane.append(img);
      for (const name of p.heat) {
        const layer = this.heat.find((l) => l.meta.name === name);
        if (!layer) continue;
        const c = this.valuesCanvas(layer);
        heat.set(name, c);
        plane.append(c);
      }
      for (const name of p.layers) {
        const layer = name === "" ? this.compare?.a : this.layers.find((l) => l.meta.name === name);
        if (!layer) continue;
        const c = h("canvas");
        c.width = layer.meta.width;
        c.height = layer.meta.height;
        c.dataset.layer = name === "" ? "difference" : name;
        canvases.set(name, c);
        plane.append(c);
      }
      const boxes = h("div", { class: "ai-boxes" });
      const label = h("div", { class: "ai-label" });
      label.textContent = displayText(p.title);
      if (!p.title) label.style.display = "none";
      root.append(plane, boxes, label);
      this.stagesEl.append(root);
      return { root, plane, size: { w: 0, h: 0 }, img, heat, canvases, boxes, label };
    });
    // The badge sits on the picture the IoU is about: the image's stage, else the first one.
    const home = this.stages.find((st) => st.root.dataset.stage === "over" || st.root.dataset.stage === "image") ?? this.stages[0];
    if (this.miou && home) home.root.append(this.miou);
    return true;
  }

  private valuesCanvas(l: LoadedScalar): HTMLCanvasElement {
    const c = h("canvas", { class: "ai-values" });
    c.width = l.meta.width;
    c.height = l.meta.height;
    c.dataset.heat = l.meta.name;
    return c;
  }

  /**
   * Colour-maps every shown scalar canvas from its values; a canvas whose colormap, window and
   * threshold are those it was drawn with is left alone (the card's scale asks every cell).
   */
  private paintScalars(): void {
    for (const stage of this.stages) {
      const shown = stage.root.dataset.stage === "over" || stage.root.dataset.stage === "image";
      if (this.base && stage.img instanceof HTMLCanvasElement && shown && !this.settings.hideImage) this.paintScalar(stage.img, this.base);
      for (const [name, canvas] of stage.heat) {
        const layer = this.heat.find((l) => l.meta.name === name);
        if (!layer) continue;
        this.paintScalar(canvas, layer);
        canvas.style.opacity = String(this.heatOpacity(name));
      }
    }
  }

  private paintScalar(canvas: HTMLCanvasElement, l: LoadedScalar): void {
    const name = l.meta.name;
    const cmap = layerColormap(this.heatSettings, name, l.meta.colormap);
    const [lo, hi] = this.windowOf(l);
    const threshold = layerThreshold(this.heatSettings, name, l.meta.role);
    const key = JSON.stringify([cmap, lo, hi, threshold]);
    if (canvas.dataset.paint === key) return;
    const g = canvas.getContext("2d");
    if (!g) return;
    let img = pixels.get(canvas);
    if (!img) pixels.set(canvas, (img = g.createImageData(canvas.width, canvas.height)));
    const hidden = paintValues(l.values, { lut: colormapLut(cmap), lo, hi, threshold }, img.data);
    g.putImageData(img, 0, 0);
    this.hiddenBy.set(name, hidden);
    Object.assign(canvas.dataset, { paint: key, colormap: cmap, vmin: String(lo), vmax: String(hi), hidden: String(hidden) });
  }

  private paintMasks(): void {
    const s = this.settings;
    for (const stage of this.stages) {
      stage.img.classList.toggle("hidden", s.hideImage || stage.root.dataset.stage !== "over" && stage.root.dataset.stage !== "image");
      for (const [name, canvas] of stage.canvases) {
        const g = canvas.getContext("2d");
        if (!g) continue;
        const img = g.createImageData(canvas.width, canvas.height);
        if (name === "" && this.compare) {
          paintDifference(this.compare.diff, DIFF_COLOR, img.data);
          canvas.style.opacity = "0.85";
        } else {
          const layer = this.layers.find((l) => l.meta.name === name);
          if (!layer) continue;
          const hidden = new Set<number>();
          for (let id = 0; id <= layer.maxId; id++) if (this.classHidden(id)) hidden.add(id);
          paintMask(layer.ids, colorTable(layer.maxId, this.colors(), hidden), img.data);
          const conf = this.confidenceOf(name);
          if (conf) {
            const t = layerThreshold(this.heatSettings, conf.meta.name, conf.meta.role) ?? -Infinity;
            const n = paintUnsure(conf.values, t, layer.meta.width, img.data);
            this.unsure.set(name, n);
            canvas.dataset.unsure = String(n);
          }
          // A mask alone on its own panel is shown opaque: there is nothing under it to blend with.
          const alone = stage.root.dataset.stage !== "over";
          canvas.style.opacity = String(alone ? 1 : this.layerOpacity(name));
        }
        g.putImageData(img, 0, 0);
      }
    }
  }

  /** The confidence layer of mask layer `name`, when one of the same size was logged. */
  private confidenceOf(name: string): LoadedScalar | undefined {
    const mask = this.layers.find((l) => l.meta.name === name);
    return this.heat.find(
      (l) => l.meta.role === "confidence" && l.meta.of === name && mask !== undefined && l.values.length === mask.ids.length,
    );
  }

  private drawBoxes(): void {
    const s = this.settings;
    const W = this.naturalW;
    const H = this.naturalH;
    for (const stage of this.stages) {
      stage.boxes.replaceChildren();
      // Boxes annotate the picture: they go where the image is shown.
      if (stage.root.dataset.stage !== "over" && stage.root.dataset.stage !== "image") continue;
      this.meta.boxes.forEach((layer, li) => {
        if (!(s.boxLayerVisible[layer.name] ?? true)) return;
        const hidden = new Set<number>();
        for (const b of layer.boxes) if (this.boxClassHidden(b.class_id)) hidden.add(b.class_id);
        for (const box of visibleBoxes(layer, hidden, s.thresholds)) {
          const p = boxToPercent(box, layer.domain, W, H);
          const color = classColor(box.class_id, this.colors());
          const d = h("div", { class: "ai-box" + (li % 2 ? " dash" : "") });
          d.dataset.layer = layer.name;
          d.dataset.classId = String(box.class_id);
          Object.assign(d.dataset, { x: String(p.left), y: String(p.top), w: String(p.width), h: String(p.height) });
          Object.assign(d.style, {
            left: `${p.left}%`, top: `${p.top}%`, width: `${p.width}%`, height: `${p.height}%`, borderColor: color,
          });
          if (s.captions) {
            const cap = h("span");
            cap.style.background = color;
            cap.style.color = textColorOn(color);
            cap.textContent = displayText(boxLabel(box, className(box.class_id, layer.class_labels.length ? layer.class_labels : this.labels)));
            d.append(cap);
          }
          stage.boxes.append(d);
        }
      });
    }
  }

  /** The popover: view (layout, image, difference, mIoU), mask layers, classes, boxes. */
  private drawerContents(): Node[] {
    const s = this.settings;
    const d = document.createDocumentFragment();
    if (this.layers.length) {
      d.append(heading("View"));
      const layout = h("select", { title: "Where the masks go" });
      for (const [v, t] of [["over", "Masks over image"], ["beside", "Masks beside"], ["panels", "Layer per panel"]] as const) {
        const o = h("option", { value: v });
        o.textContent = t;
        layout.append(o);
      }
      layout.value = s.layout;
      layout.dataset.control = "layout";
      layout.addEventListener("change", () => this.set({ [KEYS.layout]: layout.value }));
      const img = checkbox("image", !s.hideImage, (on) => this.set({ [KEYS.hideImage]: !on }));
      img.dataset.control = "show-image";
      d.append(line(layout, img));
    }
    if (this.compare) {
      const diff = h("button", { type: "button", title: "Highlight pixels where the two layers disagree" });
      diff.textContent = "difference";
      diff.dataset.control = "difference";
      diff.setAttribute("aria-pressed", String(s.view === "difference"));
      diff.addEventListener("click", () => this.set({ [KEYS.view]: s.view === "difference" ? "classes" : "difference" }));
      const note = h("span", { class: "vc-note" });
      note.textContent = displayText(`mIoU ${this.compare.iou.meanIoU.toFixed(3)} · ${this.compare.a.meta.name} vs ${this.compare.b.meta.name}`);
      d.append(line(diff, note));
    }
    if (this.scalars().length) d.append(...this.scalarControls());
    if (this.layers.length) {
      d.append(heading("Mask layers"));
      for (const layer of this.layers) {
        const name = layer.meta.name;
        const row = h("div", { class: "ai-row" });
        row.dataset.layer = name;
        const vis = checkbox("", this.layerVisible(name), (on) =>
          this.set({ [KEYS.layerVisible]: { ...s.layerVisible, [name]: on } }),
        );
        const nm = h("span", { class: "name" });
        nm.textContent = displayText(name);
        const op = h("input", { type: "range", min: "0", max: "1", step: "0.05", title: "opacity" });
        op.value = String(this.layerOpacity(name));
        op.dataset.control = "opacity";
        op.addEventListener("input", () => this.set({ [KEYS.layerOpacity]: { ...s.layerOpacity, [name]: Number(op.value) } }));
        const pct = h("span", { class: "num" });
        pct.textContent = `${Math.round(this.layerOpacity(name) * 100)}%`;
        row.append(vis, nm, op, pct);
        d.append(row);
        const unsure = this.unsure.get(name);
        if (unsure !== undefined) {
          const note = h("div", { class: "vc-note" });
          note.dataset.unsure = String(unsure);
          note.textContent = `${unsure} px unsure (${((unsure / layer.ids.length) * 100).toFixed(1)} %), hatched grey`;
          d.append(note);
        }
      }
    }
    const ids = this.classIds();
    if (ids.length) {
      d.append(heading(this.layers.length ? "Classes" : "Box classes"));
      const search = h("input", { type: "search", placeholder: "search classes" });
      search.value = this.search;
      search.dataset.control = "class-search";
      search.addEventListener("input", () => {
        this.search = search.value;
        this.menu.refresh();
      });
      const all = h("button", { type: "button" });
      all.textContent = "all";
      all.dataset.control = "all";
      const none = h("button", { type: "button" });
      none.textContent = "none";
      none.dataset.control = "none";
      const shown = ids.filter((id) => matches(id, className(id, this.labels), this.search));
      const setAll = (hidden: boolean) => {
        const seg = { ...s.hiddenClasses };
        const box = { ...s.boxHiddenClasses };
        for (const id of shown) seg[String(id)] = box[String(id)] = hidden;
        this.set({ [KEYS.hiddenClasses]: seg, [KEYS.boxHiddenClasses]: box });
      };
      all.addEventListener("click", () => setAll(false));
      none.addEventListener("click", () => setAll(true));
      const tools = h("div", { class: "ai-row" });
      tools.append(all, none);
      d.append(search, tools);
      const iouById = new Map(this.compare?.iou.perClass.map((c) => [c.id, c.iou]) ?? []);
      const keyed = keyedClasses(ids, this.labels);
      for (const id of shown) {
        const row = h("div", { class: "ai-row" });
        row.dataset.classId = String(id);
        const hidden = this.layers.length ? this.classHidden(id) : this.boxClassHidden(id);
        const cb = checkbox("", !hidden, (on) =>
          this.set({
            [KEYS.hiddenClasses]: { ...s.hiddenClasses, [String(id)]: !on },
            [KEYS.boxHiddenClasses]: { ...s.boxHiddenClasses, [String(id)]: !on },
          }),
        );
        const sw = h("input", { type: "color", title: "class colour" });
        sw.value = classColor(id, this.colors());
        sw.addEventListener("input", () => this.set({ [KEYS.colors]: { ...s.colors, [String(id)]: sw.value } }));
        const nm = h("span", { class: "name" });
        nm.textContent = displayText(className(id, this.labels));
        nm.title = `id ${id}`;
        labelToggles(cb, nm, className(id, this.labels));
        row.append(cb, sw, nm);
        const key = keyed.indexOf(id);
        if (key >= 0 && key < CLASS_KEYS) row.append(keyHint(key + 1));
        const iou = iouById.get(id);
        if (iou !== undefined) {
          const v = h("span", { class: "num", title: "IoU of this class between the two layers" });
          v.dataset.iou = String(iou);
          v.textContent = `IoU ${iou.toFixed(2)}`;
          row.append(v);
        }
        d.append(row);
      }
    }
    if (this.meta.boxes.length) {
      d.append(heading("Box layers"));
      for (const layer of this.meta.boxes) {
        const row = h("div", { class: "ai-row" });
        row.dataset.boxLayer = layer.name;
        const cb = checkbox("", s.boxLayerVisible[layer.name] ?? true, (on) =>
          this.set({ [KEYS.boxLayerVisible]: { ...s.boxLayerVisible, [layer.name]: on } }),
        );
        const nm = h("span", { class: "name" });
        nm.textContent = displayText(`${layer.name} (${layer.boxes.length})`);
        row.append(cb, nm);
        d.append(row);
      }
      const caps = checkbox("captions", s.captions, (on) => this.set({ [KEYS.captions]: on }));
      caps.dataset.control = "captions";
      d.append(caps);
      for (const [key, range] of scoreRanges(this.meta.boxes)) {
        const row = h("div", { class: "ai-row" });
        row.dataset.score = key;
        const nm = h("span", { class: "name" });
        nm.textContent = displayText(`${key} ≥`);
        const lo = Math.min(0, range.min);
        const hi = Math.max(1, range.max);
        const sl = h("input", { type: "range", min: String(lo), max: String(hi), step: String((hi - lo) / 100) });
        const cur = s.thresholds[key] ?? lo;
        sl.value = String(cur);
        sl.dataset.control = "threshold";
        const v = h("span", { class: "num" });
        v.textContent = cur.toFixed(2);
        sl.addEventListener("input", () => this.set({ [KEYS.thresholds]: { ...s.thresholds, [key]: Number(sl.value) } }));
        row.append(nm, sl, v);
        d.append(row);
      }
    }
    return [d];
  }

  /**
   * Per scalar layer: show/hide and opacity (heatmaps), colormap, vmin/vmax sliders with auto
   * (p01-p99), a threshold with the count it hides, and the colour bar; the card-or-cell scale once.
   */
  private scalarControls(): Node[] {
    const hs = this.heatSettings;
    const out: Node[] = [heading(this.base && !this.heat.length ? "Values" : "Scalar layers")];
    const scale = h("select", { title: "One scale for every cell of the card (same colour, same value), or a scale per cell" });
    for (const [v, t] of [["card", "scale shared by the card"], ["cell", "scale per cell"]] as const) {
      const o = h("option", { value: v });
      o.textContent = t;
      scale.append(o);
    }
    scale.value = hs.scale;
    scale.dataset.control = "heat-scale";
    scale.addEventListener("change", () => this.set({ [HEAT_KEYS.scale]: scale.value }));
    out.push(line(scale));
    for (const l of this.scalars()) {
      const name = l.meta.name;
      const box = h("div", { class: "ai-heat" });
      box.dataset.heat = name;
      const head = h("div", { class: "ai-row" });
      if (name !== "") {
        const vis = checkbox("", this.heatVisible(l), (on) => this.set({ [HEAT_KEYS.visible]: { ...hs.visible, [name]: on } }));
        vis.dataset.control = "heat-visible";
        const nm = h("span", { class: "name" });
        nm.textContent = displayText(l.meta.role === "confidence" ? `${name} (confidence of ${l.meta.of})` : name);
        const op = h("input", { type: "range", min: "0", max: "1", step: "0.05", title: "opacity" });
        op.value = String(this.heatOpacity(name));
        op.dataset.control = "heat-opacity";
        op.addEventListener("input", () => this.set({ [HEAT_KEYS.opacity]: { ...hs.opacity, [name]: Number(op.value) } }));
        head.append(vis, nm, op);
        box.append(head);
      }
      const cmap = h("select", { title: "colormap" });
      for (const c of COLORMAPS) {
        const o = h("option", { value: c });
        o.textContent = COLORMAP_LABELS[c];
        cmap.append(o);
      }
      const cm = layerColormap(hs, name, l.meta.colormap);
      cmap.value = cm;
      cmap.dataset.control = "colormap";
      cmap.addEventListener("change", () => this.set({ [HEAT_KEYS.colormap]: { ...hs.colormap, [name]: cmap.value } }));
      const win = this.windowOf(l);
      const shared = hs.scale === "card" ? this.group.statsOf(name) : [l.meta];
      const [lo, hi] = sliderRange(shared.length ? shared : [l.meta], win);
      const step = String((hi - lo) / 1000);
      const slider = (control: string, value: number, title: string) => {
        const r = h("input", { type: "range", min: String(lo), max: String(hi), step, title });
        r.value = String(value);
        r.dataset.control = control;
        return r;
      };
      const vmin = slider("vmin", win[0], "vmin: values at or below are the first colour");
      const vmax = slider("vmax", win[1], "vmax: values at or above are the last colour");
      const setWindow = () => {
        const a = Math.min(Number(vmin.value), Number(vmax.value));
        const b = Math.max(Number(vmin.value), Number(vmax.value));
        this.set({ [HEAT_KEYS.window]: { ...hs.window, [name]: [a, b] } });
      };
      vmin.addEventListener("input", setWindow);
      vmax.addEventListener("input", setWindow);
      const auto = h("button", { type: "button", title: "Window from the 1st to the 99th percentile" });
      auto.textContent = "auto";
      auto.dataset.control = "auto-window";
      auto.setAttribute("aria-pressed", String(hs.window[name] === "auto"));
      auto.addEventListener("click", () => this.set({ [HEAT_KEYS.window]: { ...hs.window, [name]: "auto" } }));
      const wrow = h("div", { class: "ai-row" });
      wrow.append(cmap, auto);
      const srow = h("div", { class: "ai-row" });
      srow.append(vmin, vmax);
      box.append(wrow, srow, colorBar(cm, win[0], win[1]));
      const t = layerThreshold(hs, name, l.meta.role);
      const trow = h("div", { class: "ai-row" });
      const tl = h("span", { class: "name" });
      tl.textContent = l.meta.role === "confidence" ? "unsure below" : "show ≥";
      const ts = slider("threshold", t ?? lo, l.meta.role === "confidence" ? "mask pixels under this confidence are unsure" : "values under this are not drawn");
      ts.addEventListener("input", () => this.set({ [HEAT_KEYS.threshold]: { ...hs.threshold, [name]: Number(ts.value) } }));
      const tv = h("span", { class: "num" });
      tv.textContent = t === null ? "off" : l.meta.role === "confidence" ? fmt(t) : `${fmt(t)} · ${this.hiddenBy.get(name) ?? 0} px hidden`;
      trow.append(tl, ts, tv);
      box.append(trow);
      out.push(box);
    }
    return out;
  }

  /** Size stages to the largest that fit, in a row or a column, whichever shows them bigger. */
  private fit(): void {
    const n = this.stages.length;
    const W = this.stagesEl.clientWidth;
    const H = this.stagesEl.clientHeight;
    if (!n || W <= 0 || H <= 0) return;
    const aw = this.naturalW;
    const ah = this.naturalH;
    const rowScale = Math.min((W - GAP * (n - 1)) / n / aw, H / ah);
    const colScale = Math.min(W / aw, (H - GAP * (n - 1)) / n / ah);
    const col = colScale > rowScale;
    const scale = Math.max(0.01, col ? colScale : rowScale);
    this.stagesEl.classList.toggle("col", col);
    // Zoomed, a single panel is the whole cell: the image moves inside it, not in a letterbox.
    const whole = this.view !== null && n === 1;
    // Box captions and stage titles at full size would cover a thumbnail: smaller, then none.
    const side = Math.min(aw, ah) * scale;
    this.root.classList.toggle("ai-small", side < 200);
    this.root.classList.toggle("ai-tiny", side < 110);
    for (const st of this.stages) {
      st.size = whole ? { w: W, h: H } : { w: aw * scale, h: ah * scale };
      st.root.style.width = `${st.size.w}px`;
      st.root.style.height = `${st.size.h}px`;
      this.placeStage(st);
    }
  }

  /** The card's zoom changed (in an animation frame): one transform per panel, no layout read. */
  private applyView(t: ViewTransform | null): void {
    const was = this.view;
    this.view = t;
    this.zoom.show(t);
    // Into or out of the zoom, a single panel changes its box: fit() lays it out once.
    if ((was === null) !== (t === null) && this.stages.length === 1) this.fit();
    else for (const st of this.stages) this.placeStage(st);
  }

  /** Draws a panel's image plane and boxes at the card's zoom (or fitted, with none). */
  private placeStage(st: Stage): void {
    const t = this.view;
    const img = { w: this.naturalW, h: this.naturalH };
    st.root.classList.toggle("vt-zoomed", t !== null);
    const dpr = window.devicePixelRatio || 1;
    const scale = t ? t.scale : st.size.w / img.w;
    // Magnified pixels stay square and sharp, like the mask over them; shrunk images smooth.
    st.img.classList.toggle("px", scale * dpr > 1.001);
    if (!t) {
      st.plane.style.width = st.plane.style.height = st.plane.style.transform = "";
      Object.assign(st.boxes.style, { left: "", top: "", width: "", height: "", right: "", bottom: "" });
      this.placeCaptions(st, st.size.w, st.size.h);
      return;
    }
    st.plane.style.width = `${img.w}px`;
    st.plane.style.height = `${img.h}px`;
    st.plane.style.transform = cssTransform(t, st.size, dpr);
    if (!this.meta.boxes.length) return;
    // Boxes on the image's rectangle, unscaled: borders and captions keep their size.
    const [x, y] = toScreen(t, st.size, 0, 0);
    Object.assign(st.boxes.style, {
      left: `${x}px`, top: `${y}px`, width: `${img.w * t.scale}px`, height: `${img.h * t.scale}px`, right: "auto", bottom: "auto",
    });
  }

  /** The panel under the pointer, for the wheel and drag. */
  private viewportAt(e: MouseEvent): { el: HTMLElement; view: Size; img: Size } | null {
    // Over the zoom chip (beside the panels) the wheel zooms the one panel there is.
    const st = this.stages.find((s) => s.root.contains(e.target as Node)) ?? (this.stages.length === 1 ? this.stages[0] : undefined);
    return st ? { el: st.root, view: st.size, img: { w: this.naturalW, h: this.naturalH } } : null;
  }

  /** Captions only on boxes wide enough to read them (on a thumbnail the boxes go bare), each
   * at a spot where it does not cover another's. */
  private placeCaptions(stage: Stage, width: number, height: number): void {
    const shown: HTMLElement[] = [];
    for (const child of stage.boxes.children) {
      const el = child as HTMLElement;
      const bare = (Number(el.dataset.w) / 100) * width < CAPTION_MIN_PX;
      el.classList.toggle("nocap", bare);
      if (!bare && el.firstElementChild) shown.push(el);
    }
    if (!shown.length) return;
    const px = (el: HTMLElement, key: string, size: number) => (Number(el.dataset[key]) / 100) * size;
    const rects = shown.map((el) => ({
      x: px(el, "x", width), y: px(el, "y", height), w: px(el, "w", width), h: px(el, "h", height),
    }));
    const captions = shown.map((el) => el.firstElementChild as HTMLElement);
    const spots = placeCaptions(rects, captions.map((c) => c.offsetWidth), captions[0].offsetHeight, width, height);
    shown.forEach((el, i) => (el.dataset.cap = spots[i]));
  }

  /**
   * What the probe shows at image pixel (x, y): the picture's exact RGB, each scalar layer's
   * stored value, the class name and id of each shown mask layer, and whether the compared
   * layers disagree. Layers of another size are read at the same fraction of the image.
   */
  private probe(x: number, y: number): string[] | null {
    const lines: string[] = [];
    const hasPicture = this.stages.some((st) => st.img instanceof HTMLImageElement);
    if (hasPicture && !this.settings.hideImage) {
      if (!this.pixels) return null;
      if (x < this.pixels.w && y < this.pixels.h) lines.push(rgbText(this.pixels, x, y));
    }
    const at = (w: number, h: number): [number, number] => [
      Math.floor(((x + 0.5) / this.naturalW) * w), Math.floor(((y + 0.5) / this.naturalH) * h),
    ];
    for (const l of this.scalars()) {
      if (l.meta.name !== "" && !this.heatVisible(l) && l.meta.role !== "confidence") continue;
      const p = probePixel(l.values, l.meta, ...at(l.meta.width, l.meta.height));
      if (p) lines.push(`${l.meta.name || "value"}: ${p.text}`);
    }
    for (const layer of this.layers) {
      if (!this.layerVisible(layer.meta.name)) continue;
      const [mx, my] = at(layer.meta.width, layer.meta.height);
      const id = layer.ids[my * layer.meta.width + mx];
      const name = className(id, layer.meta.class_labels.length ? layer.meta.class_labels : this.labels);
      lines.push(`${layer.meta.name}: ${name} (${id})`);
    }
    if (this.compare) {
      const [cx, cy] = at(this.compare.a.meta.width, this.compare.a.meta.height);
      if (this.compare.diff[cy * this.compare.a.meta.width + cx]) lines.push("layers disagree");
    }
    return lines;
  }
}

function present(layer: LoadedLayer, id: number): boolean {
  // maxId bounds the loop; a linear scan per id would be slow, so cache the presence set once.
  let set = presence.get(layer);
  if (!set) {
    set = new Set<number>();
    for (let i = 0; i < layer.ids.length; i++) set.add(layer.ids[i]);
    presence.set(layer, set);
  }
  return set.has(id);
}
const presence = new WeakMap<LoadedLayer, Set<number>>();
/** Each scalar canvas's pixel buffer, kept: a recolour rewrites it rather than allocating 256 KB per cell. */
const pixels = new WeakMap<HTMLCanvasElement, ImageData>();

/** The pair to compare: prediction-like vs truth-like names first, else the first two compatible layers. */
function pickComparison(layers: LoadedLayer[]) {
  const compatible: [LoadedLayer, LoadedLayer][] = [];
  for (let i = 0; i < layers.length; i++)
    for (let j = i + 1; j < layers.length; j++) if (sameLabelSet(layers[i].meta, layers[j].meta)) compatible.push([layers[i], layers[j]]);
  if (!compatible.length) return null;
  const truth = /truth|gt|label|target|true/i;
  const [a, b] = compatible.find(([x, y]) => truth.test(y.meta.name) || truth.test(x.meta.name)) ?? compatible[0];
  return { a, b, iou: computeIoU(a.ids, b.ids), diff: differenceMask(a.ids, b.ids) };
}

function fmt(v: number): string {
  return String(+v.toPrecision(4));
}

function matches(id: number, name: string, q: string): boolean {
  const t = q.trim().toLowerCase();
  return !t || name.toLowerCase().includes(t) || String(id) === t;
}


export const viewer: Viewer = {
  async mount(el: HTMLElement, ref: ItemRef, meta: ItemMeta, ctx: ViewerContext): Promise<ViewerInstance> {
    const mask = async (m: MaskLayerMeta): Promise<LoadedLayer> => {
      const ids = await ctx.source.fetchMask(ref, m.name, ctx.signal);
      if (ids.length !== m.width * m.height) {
        throw new Error(`mask layer "${m.name}": expected ${m.width}×${m.height} class ids, got ${ids.length}`);
      }
      return { meta: m, ids, maxId: maxClassId(ids) };
    };
    const scalar = async (m: HeatmapMeta): Promise<LoadedScalar> =>
      ({ meta: m, values: decodeValues(await ctx.source.fetchHeatmap(ref, m.name, ctx.signal), m) });
    const [layers, base, heat] = await Promise.all([
      Promise.all(meta.masks.map(mask)),
      meta.values ? scalar(meta.values) : null,
      Promise.all((meta.heatmaps ?? []).map(scalar)),
    ]);
    return new AnnotatedImage(el, ref, meta, ctx, layers, base, heat);
  },
};
