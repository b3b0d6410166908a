// The Media panel: run and tag lists, toolbar, timeline with the global step slider, and the cards.
// It owns the settings (mirrored to the URL) and polls for new data.
import type { MediaApi } from "../api";
import type { ItemMeta, ItemRef, SeriesResponse } from "../api-types";
import type { Axis, GalleryBy, PanelState } from "../state/settings";
import { AXES, GALLERY_BY, clampCardWidth, clampCell, decodeState, encodeState } from "../state/settings";
import { ROW_PLAY_EVENT } from "../viewers/events";
import { setIcon } from "../viewers/icons";
import { preloadImage } from "../viewers/image";
import type { ViewerSettings } from "../viewers/types";
import { Card } from "./card";
import type { CardModel, SectionModel } from "./card";
import type { CellEnv } from "./cell";
import { runColor } from "./colors";
import { PanelData, errorText } from "./data";
import type { Window } from "./data";
import { clear, h, notice } from "./dom";
import { ALL_TAGS_CARD, COMPARE_CARD, axisValue, cellAddress, columnsThatFit, pairByTag, planCards, shortTagNames, suggestPairs } from "./layout";
import type { AxisValue, CardPlan, CellAddress, Dims, Fixed } from "./layout";
import { mergeSteps, snapStep, spreadSteps, stepBeside, zoomWindow } from "./steps";
import { Timeline } from "./timeline";
import { GROUP_GAP } from "./virtual-grid";
import type { GridModel } from "./virtual-grid";

export interface PanelOptions {
  readState(): string;
  writeState(encoded: string): void;
  /** Poll interval for new runs, tags and steps; 0 disables polling. */
  pollMs: number;
}

const GAP = 4;
const HEADER_H = 22;
/** Column labels of a comparison card carry a second line: the tag of each column. */
const PAIR_HEADER_H = 36;
const CAPTION_H = 18;
const LABEL_W: Record<Axis, number> = { run: 150, tag: 170, step: 64, index: 48 };

/** A filter typed by the user: a regex when it parses, otherwise a plain substring. */
export function makeMatcher(filter: string): { test(s: string): boolean; error: string | null } {
  if (!filter) return { test: () => true, error: null };
  try {
    const re = new RegExp(filter, "i");
    return { test: (s) => re.test(s), error: null };
  } catch (e) {
    const needle = filter.toLowerCase();
    return { test: (s) => s.toLowerCase().includes(needle), error: e instanceof Error ? e.message : String(e) };
  }
}

function labelEl(v: AxisValue, color: string | null, current: boolean, extra?: HTMLElement): HTMLElement {
  const raw = v.step ?? v.index ?? v.run ?? v.tag ?? "";
  const el = h("div", {
    class: `mp-axis-label mp-axis-${v.axis}${current ? " mp-current" : ""}`,
    title: v.step !== undefined ? `step ${v.step}` : v.label, "data-value": String(raw),
  });
  if (color) {
    const dot = h("span", { class: "mp-run-dot" });
    dot.style.background = color;
    el.append(dot);
  }
  el.append(h("span", { class: "mp-axis-text", text: v.label }));
  if (v.sub !== undefined) {
    el.classList.add("mp-axis-pair");
    const text = el.querySelector(".mp-axis-text");
    if (text && !v.groupStart) text.textContent = "";
    el.append(h("span", { class: "mp-axis-sub", text: v.sub, title: v.tag ?? v.sub }));
  }
  if (extra) el.append(extra);
  return el;
}

export class Panel {
  state: PanelState;
  readonly data: PanelData;
  private readonly root: HTMLElement;
  private readonly runsBox: HTMLElement;
  private readonly tagsBox: HTMLElement;
  private readonly toolbar: HTMLElement;
  private readonly stepBox: HTMLElement;
  private readonly timeline: Timeline;
  private readonly main: HTMLElement;
  private readonly cardsEl: HTMLElement;
  private readonly banner: HTMLElement;
  private cards = new Map<string, Card>();
  private series = new Map<string, SeriesResponse>();
  /** Logged steps in the window over the shown tags and runs: where the slider can stop. */
  private steps: number[] = [];
  private extent: [number, number] = [0, 0];
  private current: number | null = null;
  private buildToken = 0;
  private rafPending = false;
  private pollTimer = 0;
  private polling = false;

  constructor(root: HTMLElement, api: MediaApi, private readonly opts: PanelOptions) {
    this.root = root;
    this.data = new PanelData(api);
    this.state = decodeState(opts.readState());
    this.runsBox = h("div", { class: "mp-side-section mp-runs" });
    this.tagsBox = h("div", { class: "mp-side-section mp-tags" });
    this.toolbar = h("div", { class: "mp-toolbar" });
    this.stepBox = h("div", { class: "mp-stepbox" });
    this.timeline = new Timeline({
      zoom: (w) => this.setZoom(w),
      reset: () => this.setZoom(null),
      step: (s) => this.setStep(s),
      wheel: (center, factor) => {
        const w = this.state.zoom ?? this.extent;
        const next = zoomWindow(w, center, factor, this.extent[0], this.extent[1]);
        this.setZoom(next[0] <= this.extent[0] && next[1] >= this.extent[1] ? null : next);
      },
    });
    this.banner = h("div", { class: "mp-banner", role: "status" });
    this.banner.hidden = true;
    this.cardsEl = h("div", { class: "mp-cards" });
    this.main = h("main", { class: "mp-main mp-clip" }, this.cardsEl);
    const header = h("div", { class: "mp-header" }, this.toolbar,
      h("div", { class: "mp-timeline-row" }, this.stepBox, this.timeline.el), this.banner);
    const side = h("aside", { class: "mp-side" }, this.runsBox, this.tagsBox);
    clear(root);
    root.classList.add("mp-root");
    root.append(side, h("div", { class: "mp-content" }, header, this.main));
    this.main.addEventListener("scroll", () => this.scheduleVisible(), { passive: true });
    window.addEventListener("resize", () => this.relayout());
    document.addEventListener("keydown", (e) => this.onKey(e));
    this.cardsEl.append(notice("loading", "Loading runs and tags…"));
  }

  async start(): Promise<void> {
    try {
      await this.data.refresh(false);
    } catch (err) {
      clear(this.cardsEl);
      this.cardsEl.append(notice("error", `Could not load the run list: ${errorText(err)}. Retrying every few seconds.`));
    }
    this.renderSide();
    this.renderToolbar();
    await this.build();
    if (this.opts.pollMs > 0) this.pollTimer = window.setInterval(() => void this.poll(), this.opts.pollMs);
  }

  stop(): void {
    window.clearInterval(this.pollTimer);
  }

  // ---- settings ----------------------------------------------------------------------------

  private persist(): void {
    this.opts.writeState(encodeState(this.state));
  }

  private update(patch: Partial<PanelState>, rebuild = true): void {
    Object.assign(this.state, patch);
    this.persist();
    this.renderToolbar();
    if (rebuild) void this.build();
  }

  private viewerSettings(): ViewerSettings {
    const s = this.state;
    return { ...s.viewer, "image.fit": s.fit, "image.pixelated": s.pixelated, captions: s.captions };
  }

  private setViewerSettings(patch: ViewerSettings): void {
    this.state.viewer = { ...this.state.viewer, ...patch };
    this.persist();
    const settings = this.viewerSettings();
    for (const c of this.cards.values()) c.updateSettings(settings);
  }

  private setZoom(w: [number, number] | null): void {
    if (w && w[0] > w[1]) return;
    this.update({ zoom: w });
  }

  setStep(step: number | null): void {
    const last = this.steps.length ? this.steps[this.steps.length - 1] : null;
    // At the last step the slider follows new steps of a running training.
    this.state.step = step === last && !this.state.zoom ? null : step;
    this.persist();
    this.applyStep();
  }

  private applyStep(): void {
    this.applyStepNoCells();
    for (const c of this.cards.values()) {
      c.readdress();
      c.refreshLabels();
    }
    void this.prefetchNeighbours();
  }

  private prefetchToken = 0;

  /**
   * Once the cells on screen show the slider's step, loads what they would show one step
   * either side (item metadata in one batch, image bytes into the browser's cache), so ←/→
   * repaints from memory instead of waiting on the server.
   */
  private async prefetchNeighbours(): Promise<void> {
    const token = ++this.prefetchToken;
    const cards = [...this.cards.values()];
    await Promise.all(cards.map((c) => c.settled()));
    const at = this.current;
    if (token !== this.prefetchToken || at === null) return;
    // The way the user last moved first, then the other way, so they do not compete.
    for (const direction of [this.lastMove, -this.lastMove as -1 | 1]) {
      const step = stepBeside(this.steps, at, direction);
      if (step === null || step === at) continue;
      await Promise.all(cards.flatMap((card) => card.addressesAt(step).map((addr) => this.prefetch(addr))));
      if (token !== this.prefetchToken) return;
    }
  }

  /** Direction of the last ←/→ (the slider starts at the latest step, so back in time). */
  private lastMove: -1 | 1 = -1;

  private async prefetch(addr: CellAddress): Promise<void> {
    try {
      const actual = await this.data.resolveStep(addr.run, addr.tag, addr.step, this.known(addr.run, addr.tag));
      if (actual === null) return;
      const res = await this.data.api.items(addr.run, addr.tag, actual);
      const meta = res.items.find((m) => m.index === addr.index);
      if (meta?.kind === "image") await preloadImage(this.data.api.dataUrl({ ...addr, step: actual }));
    } catch {
      // A failed look-ahead costs nothing: the cell asks again, and reports errors, when shown.
    }
  }

  private onKey(e: KeyboardEvent): void {
    const t = e.target;
    if (t instanceof HTMLInputElement && t.type !== "checkbox" && t.type !== "range") return;
    if (t instanceof HTMLSelectElement || t instanceof HTMLTextAreaElement) return;
    if (e.key === "Escape" && this.state.expanded !== null) {
      this.update({ expanded: null });
      return;
    }
    if (e.key !== "ArrowLeft" && e.key !== "ArrowRight") return;
    if (this.current === null) return;
    this.lastMove = e.key === "ArrowLeft" ? -1 : 1;
    const next = stepBeside(this.steps, this.current, this.lastMove);
    if (next !== null && next !== this.current) this.setStep(next);
    e.preventDefault();
  }

  // ---- what is shown ----------------------------------------------------------------------

  private shownRuns(): string[] {
    const m = makeMatcher(this.state.runFilter);
    const off = new Set(this.state.runsOff);
    return this.data.runNames.filter((r) => m.test(r) && !off.has(r));
  }

  private shownTags(runs: readonly string[]): string[] {
    const m = makeMatcher(this.state.tagFilter);
    return [...this.data.tags.values()]
      .filter((t) => m.test(t.tag) && runs.some((r) => t.runs.has(r)))
      .map((t) => t.tag);
  }

  private color(run: string): string {
    return runColor(this.data.runNames, run);
  }

  // ---- sidebar ------------------------------------------------------------------------------

  private renderSide(): void {
    this.renderRuns();
    this.renderTags();
  }

  private renderRuns(): void {
    const s = this.state;
    const filter = h("input", {
      class: "mp-filter", type: "search", placeholder: "Filter runs (regex)", "aria-label": "Filter runs", value: s.runFilter,
    });
    filter.value = s.runFilter;
    filter.addEventListener("input", () => {
      this.state.runFilter = filter.value;
      this.persist();
      this.renderRunList(list, count);
      this.renderTags();
      void this.build();
    });
    const all = h("button", { class: "mp-link-btn", text: "All", title: "Show every run matching the filter" });
    const none = h("button", { class: "mp-link-btn", text: "None", title: "Hide every run matching the filter" });
    all.addEventListener("click", () => {
      const shown = new Set(this.data.runNames.filter((r) => makeMatcher(this.state.runFilter).test(r)));
      this.update({ runsOff: this.state.runsOff.filter((r) => !shown.has(r)) });
      this.renderSide();
    });
    none.addEventListener("click", () => {
      const shown = this.data.runNames.filter((r) => makeMatcher(this.state.runFilter).test(r));
      this.update({ runsOff: [...new Set([...this.state.runsOff, ...shown])] });
      this.renderSide();
    });
    const count = h("span", { class: "mp-count" });
    const list = h("ul", { class: "mp-list mp-run-list", "aria-label": "Runs" });
    clear(this.runsBox);
    this.runsBox.append(
      h("div", { class: "mp-side-head" }, h("span", { class: "mp-side-title", text: "Runs" }), count, h("span", { class: "mp-spacer" }), all, none),
      filter, list,
    );
    this.renderRunList(list, count);
  }

  private renderRunList(list: HTMLElement, count: HTMLElement): void {
    const m = makeMatcher(this.state.runFilter);
    const off = new Set(this.state.runsOff);
    const matching = this.data.runNames.filter((r) => m.test(r));
    clear(list);
    count.textContent = `${matching.filter((r) => !off.has(r)).length}/${this.data.runNames.length}`;
    if (!this.data.runNames.length) list.append(h("li", { class: "mp-empty-line", text: "No runs yet" }));
    else if (!matching.length) list.append(h("li", { class: "mp-empty-line", text: "No run matches the filter" }));
    for (const run of matching) {
      const box = h("input", { type: "checkbox", "aria-label": run });
      box.checked = !off.has(run);
      box.style.accentColor = this.color(run);
      box.addEventListener("change", () => {
        const next = new Set(this.state.runsOff);
        if (box.checked) next.delete(run);
        else next.add(run);
        this.update({ runsOff: [...next] });
        count.textContent = `${matching.filter((r) => !next.has(r)).length}/${this.data.runNames.length}`;
        this.renderTags();
      });
      const dot = h("span", { class: "mp-run-dot" });
      dot.style.background = this.color(run);
      const info = this.data.runs.find((r) => r.name === run);
      const warn = info && info.skipped_records > 0
        ? h("span", { class: "mp-warn", text: "⚠", title: `${info.skipped_records} corrupt or oversized records skipped` })
        : null;
      list.append(h("li", { class: "mp-run" }, h("label", { title: run }, box, dot, h("span", { class: "mp-run-name", text: run }), warn)));
    }
  }

  private renderTags(): void {
    const s = this.state;
    const filter = h("input", {
      class: "mp-filter", type: "search", placeholder: "Filter tags (regex)", "aria-label": "Filter tags",
    });
    filter.value = s.tagFilter;
    const err = h("div", { class: "mp-filter-error", role: "alert" });
    const list = h("ul", { class: "mp-list mp-tag-list", "aria-label": "Tags" });
    const pairs = h("div", { class: "mp-compare-box" });
    const setCompare = (next: string[]) => {
      this.update({ compare: next });
      fill();
      if (next.length >= 2) this.cards.get(COMPARE_CARD)?.el.scrollIntoView({ block: "start" });
    };
    const fillPairs = () => {
      clear(pairs);
      const cmp = this.state.compare;
      if (cmp.length) {
        const stop = h("button", { class: "mp-link-btn", text: "Clear", title: "Stop comparing" });
        const now = cmp.length >= 2 ? `Comparing ${shortTagNames(cmp).join(" vs ")}` : `Tick one more tag to compare with ${cmp[0]}`;
        stop.addEventListener("click", () => setCompare([]));
        pairs.append(h("div", { class: "mp-compare-now" },
          h("span", { class: "mp-compare-text", text: now, title: now }), stop));
      }
      for (const [a, b] of suggestPairs([...this.data.tags.keys()])) {
        if (cmp.length === 2 && cmp[0] === a && cmp[1] === b) continue;
        const names = shortTagNames([a, b]);
        // Several pairs often share their last parts (predicted ↔ true): name the group too.
        const group = a.slice(0, a.length - names[0].length).replace(/\/$/, "");
        const chip = h("button", {
          class: "mp-chip mp-pair-chip", title: `Show ${a} and ${b} side by side in one card`,
          text: `Compare ${group ? `${group}: ` : ""}${names[0]} ↔ ${names[1]}`,
        });
        chip.addEventListener("click", () => setCompare([a, b]));
        pairs.append(chip);
      }
    };
    const fill = () => {
      fillPairs();
      const matcher = makeMatcher(this.state.tagFilter);
      err.textContent = matcher.error ? `Not a valid regex (${matcher.error}); matching as text` : "";
      err.hidden = !matcher.error;
      clear(list);
      const runs = this.shownRuns();
      const tags = [...this.data.tags.values()];
      if (!tags.length) list.append(h("li", { class: "mp-empty-line", text: "No media tags yet" }));
      for (const t of tags) {
        if (!matcher.test(t.tag)) continue;
        const inRuns = runs.filter((r) => t.runs.has(r)).length;
        const pick = h("input", { type: "checkbox", class: "mp-compare-pick", "aria-label": `Compare ${t.tag}`, title: "Compare side by side with other ticked tags" });
        pick.checked = this.state.compare.includes(t.tag);
        pick.addEventListener("change", () => {
          const rest = this.state.compare.filter((x) => x !== t.tag);
          setCompare(pick.checked ? [...rest, t.tag] : rest);
        });
        const item = h("li", { class: `mp-tag${inRuns ? "" : " mp-dim"}` }, pick,
          h("button", { class: "mp-tag-btn", title: `${t.tag}: ${t.kind}, in ${t.runs.size} runs` },
            h("span", { class: "mp-tag-name", text: t.tag }), h("span", { class: "mp-kind", text: t.kind })));
        item.querySelector("button")?.addEventListener("click", () => {
          const card = this.cards.get(t.tag) ?? this.cards.get(ALL_TAGS_CARD);
          card?.el.scrollIntoView({ block: "start" });
        });
        list.append(item);
      }
    };
    filter.addEventListener("input", () => {
      this.state.tagFilter = filter.value;
      this.persist();
      fill();
      void this.build();
    });
    clear(this.tagsBox);
    this.tagsBox.append(h("div", { class: "mp-side-head" }, h("span", { class: "mp-side-title", text: "Tags" }),
      h("span", { class: "mp-spacer" }), h("span", { class: "mp-side-hint", text: "tick to compare" })), filter, err, pairs, list);
    fill();
  }

  // ---- toolbar ------------------------------------------------------------------------------

  private select<T extends string>(label: string, value: T, options: readonly T[], on: (v: T) => void, name: string): HTMLElement {
    const sel = h("select", { class: "mp-select", "aria-label": name });
    for (const o of options) sel.append(h("option", { value: o, text: o }));
    sel.value = value;
    sel.addEventListener("change", () => on(sel.value as T));
    return h("label", { class: "mp-field" }, h("span", { class: "mp-field-label", text: label }), sel);
  }

  private renderToolbar(): void {
    const s = this.state;
    clear(this.toolbar);
    const modes = h("div", { class: "mp-seg", role: "group", "aria-label": "Layout" });
    for (const mode of ["grid", "gallery"] as const) {
      const b = h("button", { class: `mp-seg-btn${s.mode === mode ? " on" : ""}`, text: mode === "grid" ? "Grid" : "Gallery", "aria-pressed": String(s.mode === mode) });
      b.addEventListener("click", () => this.update({ mode }));
      modes.append(b);
    }
    this.toolbar.append(modes);
    if (s.mode === "grid") {
      const setAxis = (which: "x" | "y", v: Axis) => {
        const other = which === "x" ? "y" : "x";
        const patch: Partial<PanelState> = { [which]: v };
        if (s[other] === v) patch[other] = s[which]; // picking the other axis's value swaps them
        this.update(patch);
      };
      const swap = h("button", { class: "mp-icon-btn", title: "Swap x and y", "aria-label": "Swap axes" });
      setIcon(swap, "swap");
      swap.addEventListener("click", () => this.update({ x: s.y, y: s.x }));
      this.toolbar.append(
        this.select("x", s.x, AXES, (v) => setAxis("x", v), "x axis"), swap,
        this.select("y", s.y, AXES, (v) => setAxis("y", v), "y axis"),
      );
    } else {
      this.toolbar.append(this.select("tile by", s.galleryBy, GALLERY_BY, (v: GalleryBy) => this.update({ galleryBy: v }), "Tile by"));
    }
    const indexOnAxis = s.mode === "grid" ? s.x === "index" || s.y === "index" : s.galleryBy === "index";
    if (!indexOnAxis) {
      const input = h("input", { class: "mp-number", type: "number", min: 0, value: s.index, "aria-label": "Item index" });
      input.addEventListener("change", () => this.update({ index: Math.max(0, Math.floor(Number(input.value) || 0)) }));
      this.toolbar.append(h("label", { class: "mp-field" }, h("span", { class: "mp-field-label", text: "index" }), input));
    }
    const size = h("input", { class: "mp-range", type: "range", min: 48, max: 512, step: 8, value: s.cell, "aria-label": "Cell size" });
    size.addEventListener("change", () => this.update({ cell: clampCell(Number(size.value)), cardCell: {} }));
    this.toolbar.append(h("label", { class: "mp-field" }, h("span", { class: "mp-field-label", text: "size" }), size));
    this.toolbar.append(this.select("image", s.fit, ["fit", "original"] as const, (v) => this.update({ fit: v }, false), "Image size"));
    const toggle = (text: string, on: boolean, flip: () => void) => {
      const b = h("button", { class: `mp-chip${on ? " on" : ""}`, text, "aria-pressed": String(on) });
      b.addEventListener("click", flip);
      return b;
    };
    this.toolbar.append(
      toggle("pixelated", s.pixelated, () => { this.update({ pixelated: !s.pixelated }, false); this.pushSettings(); }),
      toggle("captions", s.captions, () => { this.update({ captions: !s.captions }, false); this.pushSettings(); }),
    );
    const fitSel = this.toolbar.querySelector<HTMLSelectElement>('select[aria-label="Image size"]');
    fitSel?.addEventListener("change", () => this.pushSettings());
  }

  private pushSettings(): void {
    const settings = this.viewerSettings();
    for (const c of this.cards.values()) c.updateSettings(settings);
  }

  private renderStepBox(): void {
    clear(this.stepBox);
    const prev = h("button", { class: "mp-icon-btn", title: "Previous step (←)", "aria-label": "Previous step" });
    const next = h("button", { class: "mp-icon-btn", title: "Next step (→)", "aria-label": "Next step" });
    setIcon(prev, "prev", 20);
    setIcon(next, "next", 20);
    prev.addEventListener("click", () => this.onKey(new KeyboardEvent("keydown", { key: "ArrowLeft" })));
    next.addEventListener("click", () => this.onKey(new KeyboardEvent("keydown", { key: "ArrowRight" })));
    const label = h("div", { class: "mp-step-label" },
      h("span", { class: "mp-step-caption", text: "step" }),
      h("span", { class: "mp-step-value", text: this.current === null ? "–" : String(this.current) }));
    const live = this.state.step === null && this.current !== null ? h("span", { class: "mp-live", text: "latest", title: "Follows new steps as they are logged" }) : null;
    const z = this.state.zoom;
    const zoomInfo = h("div", { class: "mp-zoom-info" },
      h("span", { text: z ? `${z[0]}–${z[1]}` : "all steps", title: "Drag on the axis to zoom; wheel zooms; double-click resets" }));
    if (z) {
      const reset = h("button", { class: "mp-link-btn", text: "Reset zoom", "aria-label": "Reset zoom" });
      reset.addEventListener("click", () => this.setZoom(null));
      zoomInfo.append(reset);
    }
    this.stepBox.append(h("div", { class: "mp-step-row" }, prev, label, next, live), zoomInfo);
  }

  // ---- cards --------------------------------------------------------------------------------

  private fullWidth(): number {
    return (this.state.expanded !== null ? window.innerWidth : this.main.clientWidth) - 2 * 16 - 2;
  }

  /** A card's width: the page's, or narrower when the user dragged its corner (never wider). */
  private cardWidth(key: string): number {
    const full = this.fullWidth();
    const set = this.state.expanded === key ? undefined : this.state.cardWidth[key];
    return set === undefined ? full : Math.min(full, set);
  }

  private known(run: string, tag: string) {
    return this.series.get(tag)?.runs[run];
  }

  private async overlays(ref: ItemRef, meta: ItemMeta): Promise<{ ref: ItemRef; meta: ItemMeta }[]> {
    const out: { ref: ItemRef; meta: ItemMeta }[] = [];
    const others = this.shownTags(this.shownRuns()).filter((t) => t !== ref.tag && this.data.tags.get(t)?.kind === meta.kind);
    await Promise.all(others.map(async (tag) => {
      const steps = this.known(ref.run, tag)?.steps ?? [];
      if (!steps.includes(ref.step)) return;
      try {
        const res = await this.data.api.items(ref.run, tag, ref.step);
        for (const m of res.items) out.push({ ref: { run: ref.run, tag, step: ref.step, index: m.index }, meta: m });
      } catch {
        // An overlay that fails to load is left out; the cell's own item still shows.
      }
    }));
    return out;
  }

  /**
   * `showRun`: a strip of the run's colour on each cell, only where tiles of several runs flow
   * together (a gallery by run). A grid names the run in a row or column label or in its
   * section's title, each with the run's colour, so a strip there only repeated it.
   */
  private cellEnv(label?: string, showRun = false): CellEnv {
    return {
      data: this.data,
      settings: () => this.viewerSettings(),
      setSettings: (p) => this.setViewerSettings(p),
      known: (run, tag) => this.known(run, tag),
      overlays: (ref, meta) => this.overlays(ref, meta),
      runColor: (run) => this.color(run),
      showRun,
      label,
    };
  }

  private fixed(run: string | null, tag: string | null, slider: number | null = this.current): Fixed {
    return { run, tag, step: slider, index: this.state.index };
  }

  private axisLabel(v: AxisValue, rowCells?: () => HTMLElement[]): HTMLElement {
    const color = v.run !== undefined ? this.color(v.run) : null;
    const current = v.step !== undefined && v.step === this.current;
    let extra: HTMLElement | undefined;
    if (rowCells) {
      extra = h("button", { class: "mp-row-play", title: "Play this row's videos together", "aria-label": "Play row" });
      setIcon(extra, "play", 14);
      // Viewers listen on their own host element, so the event goes to each cell's content.
      extra.addEventListener("click", () => {
        for (const c of rowCells()) for (const host of c.querySelectorAll(".mp-cell-content")) host.dispatchEvent(new Event(ROW_PLAY_EVENT));
      });
    }
    return labelEl(v, color, current, extra);
  }

  /** The dimensions of one card's data: its runs, tags, spread steps and item indices. */
  private dims(plan: CardPlan, runs: readonly string[], stepCount: number): Dims {
    const tagInfos = plan.tags.map((t) => this.data.tags.get(t)).filter((t) => t !== undefined);
    const cardRuns = runs.filter((r) => tagInfos.some((t) => t.runs.has(r)));
    const lists: number[][] = [];
    for (const t of plan.tags) {
      const series = this.series.get(t);
      if (!series) continue;
      for (const r of cardRuns) if (series.runs[r]) lists.push(series.runs[r].steps);
    }
    const maxItems = Math.max(1, ...tagInfos.map((t) => t.maxItems));
    return {
      runs: cardRuns,
      tags: plan.tags,
      steps: spreadSteps(mergeSteps(lists), stepCount),
      indices: Array.from({ length: maxItems }, (_, i) => i),
    };
  }

  private cardModel(plan: CardPlan, runs: readonly string[]): CardModel {
    const s = this.state;
    const cell = s.cardCell[plan.key] ?? s.cell;
    const width = this.cardWidth(plan.key);
    const cellW = cell;
    const gallery = s.mode === "gallery";
    const cellH = cell + (s.captions ? CAPTION_H : 0) + (gallery ? CAPTION_H : 0);
    const labelW = gallery ? 0 : LABEL_W[s.y];
    // Steps across the x axis: evenly spread, as many as fit the width. Down the y axis or
    // through a gallery: every step of the window, scrolled virtually.
    const pairs = plan.compare === true && (gallery || (s.x !== "tag" && s.y !== "tag"));
    const perStep = pairs ? plan.tags.length : 1;
    const stepCount = !gallery && s.x === "step"
      ? Math.max(1, Math.floor(columnsThatFit(width, labelW, cell + (perStep > 1 ? GROUP_GAP / perStep : 0), GAP) / perStep))
      : Infinity;
    const dims = this.dims(plan, runs, stepCount);
    const kinds = new Set(plan.tags.map((t) => this.data.tags.get(t)?.kind));
    const kind = kinds.size === 1 ? [...kinds][0] ?? "" : "mixed";
    const facets: (string | null)[] = plan.facetByRun ? dims.runs : [null];
    const sections: SectionModel[] = [];
    for (const run of facets) {
      const title = run === null ? null : { text: run, color: this.color(run) };
      const tag = plan.tags.length === 1 ? plan.tags[0] : null;
      let grid: GridModel;
      if (gallery) {
        const values = (s.galleryBy === "run" ? dims.runs : s.galleryBy === "step" ? dims.steps : dims.indices)
          .map((v) => axisValue(s.galleryBy, v));
        const tiles: AxisValue[] = pairs ? pairByTag(values, plan.tags) : values;
        const tileLabel = (v: AxisValue | undefined) => {
          if (!v) return "";
          const base = v.step !== undefined ? `step ${v.step}` : v.label;
          return v.sub !== undefined ? `${base} · ${v.sub}` : base;
        };
        const perRow = columnsThatFit(width, 0, cell, GAP);
        const rows = Math.ceil(tiles.length / perRow);
        grid = {
          rows, cols: Math.min(perRow, tiles.length), cellW, cellH, gap: GAP, labelW: 0, headerH: 0,
          address: (r, c, slider) => {
            const v = tiles[r * perRow + c];
            return v ? cellAddress(this.fixed(run, tag, slider), v) : null;
          },
          env: (r, c) => this.cellEnv(tileLabel(tiles[r * perRow + c]), s.galleryBy === "run"),
        };
      } else {
        const vals = (a: Axis) => (a === "run" ? dims.runs : a === "tag" ? dims.tags : a === "step" ? dims.steps : dims.indices)
          .map((v) => axisValue(a, v));
        const rows = vals(s.y);
        const cols = pairs ? pairByTag(vals(s.x), plan.tags) : vals(s.x);
        const video = kind === "video";
        const sectionIndex = sections.length;
        grid = {
          rows: rows.length, cols: cols.length, cellW, cellH, gap: GAP, labelW, headerH: pairs ? PAIR_HEADER_H : HEADER_H,
          group: pairs ? plan.tags.length : 1,
          rowLabel: (r) => this.axisLabel(rows[r], video ? () => this.rowCellsOf(plan.key, sectionIndex, r) : undefined),
          colLabel: (c) => this.axisLabel(cols[c]),
          address: (r, c, slider) => cellAddress(this.fixed(run, tag, slider), rows[r], cols[c]),
          env: () => this.cellEnv(),
        };
      }
      sections.push({ title, grid });
    }
    const runsWith = dims.runs.length;
    const stepTotal = Math.max(0, ...plan.tags.map((t) => {
      const ser = this.series.get(t);
      return ser ? Math.max(0, ...Object.values(ser.runs).map((r) => r.total)) : 0;
    }));
    const info = `${runsWith} run${runsWith === 1 ? "" : "s"} · ${stepTotal} step${stepTotal === 1 ? "" : "s"}${s.zoom ? " in window" : ""}`
      + (dims.indices.length > 1 ? ` · ${dims.indices.length} per step` : "");
    const explicitWidth = width < this.fullWidth() ? width : null;
    const signature = JSON.stringify({
      key: plan.key, cell, cellH, mode: s.mode, x: s.x, y: s.y, by: s.galleryBy, expanded: s.expanded === plan.key, width, explicitWidth,
      sections: sections.map((sec) => [sec.title?.text, sec.grid.rows, sec.grid.cols]),
      dims, info,
    });
    return {
      key: plan.key, title: plan.title, kind, info, cell, expanded: s.expanded === plan.key, sections, signature,
      width: explicitWidth, fullWidth: this.fullWidth(),
      compare: plan.compare ? plan.tags : undefined,
    };
  }

  private rowCellsOf(cardKey: string, section: number, r: number): HTMLElement[] {
    const grid = this.cards.get(cardKey)?.grids[section];
    return grid ? grid.rowCells(r).map((c) => c.el) : [];
  }

  private showMessage(kind: "empty" | "loading" | "error", text: string): void {
    for (const c of this.cards.values()) c.destroy();
    this.cards.clear();
    clear(this.cardsEl);
    this.cardsEl.append(notice(kind, text));
  }

  /** Fetches series for the shown tags in the zoom window, then creates or keeps cards. */
  async build(): Promise<void> {
    const token = ++this.buildToken;
    const s = this.state;
    const runs = this.shownRuns();
    const tags = this.shownTags(runs);
    if (!this.data.runNames.length) {
      this.showMessage("empty", "No runs in this logdir yet. Log media with mp.Writer(logdir).add(tag, mp.Image(…), step=…) or torch's SummaryWriter; new runs appear here within a few seconds.");
      this.setTimeline([], [0, 0]);
      return;
    }
    if (!runs.length) {
      this.showMessage("empty", this.shownRunsReason());
      this.setTimeline([], [0, 0]);
      return;
    }
    if (!tags.length) {
      this.showMessage("empty", this.data.tags.size
        ? `No tag matches the filter “${s.tagFilter}” in the selected runs.`
        : "No media logged in these runs yet (images, video, audio, 3D, molecules, HTML, text). New steps appear here within a few seconds.");
      this.setTimeline([], [0, 0]);
      return;
    }
    const window: Window = s.zoom;
    // Compared tags show even when the tag filter hides their own cards: the user picked them.
    const compare = s.compare.filter((t) => runs.some((r) => this.data.tags.get(t)?.runs.has(r)));
    const seriesTags = [...new Set([...tags, ...compare])];
    let results: SeriesResponse[];
    try {
      results = await Promise.all(seriesTags.map((t) => this.data.seriesFor(t, window)));
    } catch (err) {
      if (token === this.buildToken) this.showMessage("error", `Could not load the steps: ${errorText(err)}`);
      return;
    }
    if (token !== this.buildToken) return;
    this.series = new Map(seriesTags.map((t, i) => [t, results[i]]));
    const shown = new Set(runs);
    const lists: number[][] = [];
    for (const r of results) for (const [run, rs] of Object.entries(r.runs)) if (shown.has(run)) lists.push(rs.steps);
    let lo = Infinity;
    let hi = -Infinity;
    for (const t of seriesTags) {
      for (const [run, info] of this.data.tags.get(t)?.runs ?? []) {
        if (!shown.has(run)) continue;
        lo = Math.min(lo, info.first_step);
        hi = Math.max(hi, info.last_step);
      }
    }
    this.setTimeline(mergeSteps(lists), lo <= hi ? [lo, hi] : [0, 0]);

    const plans = planCards(s.mode, s.x, s.y, s.galleryBy, tags, compare.length >= 2 ? compare : []);
    const keep = new Map<string, Card>();
    const order: HTMLElement[] = [];
    for (const plan of plans) {
      const model = this.cardModel(plan, runs);
      const old = this.cards.get(plan.key);
      if (old && old.model.signature === model.signature) {
        keep.set(plan.key, old);
        order.push(old.el);
        continue;
      }
      old?.destroy();
      const card = new Card(model, {
        expand: (key, on) => this.update({ expanded: on ? key : null }),
        resize: (key, width, cell) => {
          const widths = { ...this.state.cardWidth };
          // Dragged back to (nearly) the full width: the card follows the page again.
          if (width === null || width >= this.fullWidth() - 8) delete widths[key];
          else widths[key] = clampCardWidth(width);
          this.update({ cardWidth: widths, cardCell: { ...this.state.cardCell, [key]: clampCell(cell) } });
        },
        close: () => {
          this.update({ compare: [] });
          this.renderTags();
        },
      });
      keep.set(plan.key, card);
      order.push(card.el);
    }
    for (const [key, card] of this.cards) if (!keep.has(key)) card.destroy();
    this.cards = keep;
    for (const n of [...this.cardsEl.childNodes]) if (!order.includes(n as HTMLElement)) n.remove();
    this.cardsEl.append(...order); // re-appending existing nodes only reorders them
    this.root.classList.toggle("mp-has-expanded", s.expanded !== null && keep.has(s.expanded));
    for (const c of this.cards.values()) {
      c.readdress();
      c.refreshLabels();
    }
    void this.prefetchNeighbours();
  }

  private shownRunsReason(): string {
    const m = makeMatcher(this.state.runFilter);
    if (!this.data.runNames.some((r) => m.test(r))) return `No run matches the filter “${this.state.runFilter}”.`;
    return "Every run is switched off. Tick runs in the run list (or click All) to show them.";
  }

  private setTimeline(steps: number[], extent: [number, number]): void {
    this.steps = steps;
    this.extent = extent;
    this.applyStepNoCells();
  }

  private applyStepNoCells(): void {
    const s = this.state.step;
    const last = this.steps.length ? this.steps[this.steps.length - 1] : null;
    this.current = s === null ? last : snapStep(this.steps, s);
    this.renderStepBox();
    this.timeline.set({ window: this.state.zoom ?? this.extent, extent: this.extent, steps: this.steps, current: this.current });
  }

  private scheduleVisible(): void {
    if (this.rafPending) return;
    this.rafPending = true;
    requestAnimationFrame(() => {
      this.rafPending = false;
      for (const c of this.cards.values()) c.updateVisible();
    });
  }

  private relayoutTimer = 0;

  private relayout(): void {
    this.timeline.draw();
    this.scheduleVisible();
    // Columns that fit depend on the width: rebuild once resizing settles.
    window.clearTimeout(this.relayoutTimer);
    this.relayoutTimer = window.setTimeout(() => void this.build(), 150);
  }

  /** New runs, tags and steps: re-resolve cells in place; cards whose layout changed are rebuilt. */
  async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const before = this.data.runNames.join("\n");
      const changed = await this.data.refresh(true);
      this.banner.hidden = true;
      if (before !== this.data.runNames.join("\n")) this.renderRuns();
      if (changed.size) {
        this.renderTags();
        await this.build();
        for (const [key, card] of this.cards) {
          if (key === ALL_TAGS_CARD || changed.has(key)) card.reloadCells();
        }
      }
    } catch (err) {
      this.banner.hidden = false;
      this.banner.textContent = `Lost contact with TensorBoard (${errorText(err)}); retrying…`;
    } finally {
      this.polling = false;
    }
  }
}
