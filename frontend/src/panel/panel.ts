// The Media panel: puts the sidebar (run and tag lists), the toolbar, the step box, the
// timeline and the cards together, builds the cards from the store's state, and polls for new
// data. The store alone writes the state; the panel reacts to what changed.
import type { MediaApi } from "../api";
import { compareSteps } from "../api";
import type { ItemMeta, ItemRef, SeriesResponse } from "../api-types";
import type { PanelState } from "../state/settings";
import { cardSettings, clampCardWidth, clampCell } from "../state/settings";
import type { Change, StoreIO } from "../state/store";
import { Store } from "../state/store";
import { ROW_PLAY_EVENT } from "../viewers/events";
import { setIcon } from "../viewers/icons";
import { preloadImage } from "../viewers/image";
import { bindGroup } from "../viewers/view-transform";
import type { ItemNavigator, ViewerSettings } from "../viewers/types";
import { Card } from "./card";
import { CardHeight } from "./card-height";
import { CardLayoutMenu } from "./card-menu";
import type { CardModel, SectionModel } from "./card";
import { fullScreenCell, layoutCard, tileLabel } from "./card-model";
import type { CardLayout } from "./card-model";
import type { CellEnv } from "./cell";
import { runColor } from "./colors";
import { PanelData, errorText } from "./data";
import type { CompareView } from "./compare-view";
import { PinMenu } from "./pin-menu";
import { BookmarkList, cellKeyAt, cellSelector, flash, markRules } from "./bookmarks";
import type { CellKey } from "../state/cells";
import { CurrentRun, ShortcutHelp, classToggle, keyAction, keyClasses } from "./keyboard";
import type { Window } from "./data";
import { clear, dragWidth, h, nameEl, notice } from "./dom";
import { makeMatcher } from "./filter";
import { ALL_TAGS_CARD, cellAddress, planCards } from "./layout";
import type { AxisValue, CardPlan, CellAddress, Fixed } from "./layout";
import { RunList } from "./run-list";
import { StepBox } from "./step-box";
import { mergeSteps, stepBeside, zoomWindow } from "./steps";
import { TagList } from "./tag-list";
import { Timeline } from "./timeline";
import { Toolbar } from "./toolbar";
import type { GridModel } from "./virtual-grid";
import { SIDE_W, labelWidth, setLabelWidth, setSideWidth, sideWidth } from "./widths";

/** Where the panel lives: the address bar that holds its state, and TensorBoard's page. */
export interface PanelHost extends StoreIO {
  /**
   * Calls `changed` when the address bar shows another view (a pasted link, Back/Forward), and
   * `restore` when it lost the view (TensorBoard rewrote it); returns the unsubscribe.
   */
  watch(changed: () => void, restore: () => void): () => void;
  /** The link to the current view, as the address bar shows it. */
  shareUrl(): string;
  /** TensorBoard's page around the panel's frame (same-origin), whose keys drive the panel too. */
  outerDocument: Document | null;
}

export interface PanelOptions {
  location: PanelHost;
  /** Poll interval for new runs, tags and steps; 0 disables polling. */
  pollMs: number;
}

/** Changes that need the cards rebuilt (the others re-address cells or re-style viewers). */
const LAYOUT_KEYS: ReadonlySet<Change> = new Set<Change>([
  "mode", "x", "y", "galleryBy", "index", "zoom", "runFilter", "runsOff", "tagFilter", "cell", "cards", "cardWidth", "compare", "expanded", "spread",
]);
/** How long typing in a filter pauses before the cards follow it. */
const FILTER_SETTLE_MS = 150;
const VIEWER_KEYS: ReadonlySet<Change> = new Set<Change>(["fit", "pixelated", "captions", "viewer"]);

function labelEl(v: AxisValue, color: string | null, current: boolean, extra?: HTMLElement, shared = 0): HTMLElement {
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
  // Runs and tags are cut in the middle, keeping the tail that tells sweeps apart.
  el.append(v.axis === "run" || v.axis === "tag" ? nameEl(v.label, "mp-axis-text", shared) : h("span", { class: "mp-axis-text", text: v.label }));
  if (v.sub !== undefined) {
    el.classList.add("mp-axis-pair");
    const text = el.querySelector(".mp-axis-text");
    if (text && !v.groupStart) text.textContent = "";
    el.append(h("span", { class: "mp-axis-sub", text: v.sub, title: v.tag ?? v.sub }));
  }
  if (extra) el.append(extra);
  return el;
}


/** The Compare view's key in the link's zoom map: no tag is named "" (card keys are tags and "*"). */
const COMPARE_VIEW_KEY = "";

function cardBody(card: Card): HTMLElement | null {
  return card.el.querySelector<HTMLElement>(".mp-card-body");
}

export class Panel {
  readonly store: Store;
  readonly data: PanelData;
  private readonly root: HTMLElement;
  private readonly runList: RunList;
  private readonly tagList: TagList;
  private readonly toolbar: Toolbar;
  private readonly stepBox: StepBox;
  private readonly timeline: Timeline;
  private readonly main: HTMLElement;
  private readonly cardsEl: HTMLElement;
  private readonly banner: HTMLElement;
  /** "indexing… 42 %" while the server is still reading the logdir. */
  private readonly indexing: HTMLElement;
  private indexingTimer = 0;
  private filterTimer = 0;
  private cards = new Map<string, Card>();
  private series = new Map<string, SeriesResponse>();
  /** Tags whose series could not be loaded, with why. */
  private failed = new Map<string, Error>();
  private buildToken = 0;
  /** Settles when the latest build has placed its cards. */
  private built: Promise<void> = Promise.resolve();
  private rafPending = false;
  private pollTimer = 0;
  private polling = false;
  private readonly help = new ShortcutHelp();
  /** The run under review (↑/↓), highlighted in every card and shown by the full-screen view. */
  private readonly currentRun: CurrentRun;
  /** The runs each card shows rows or tiles of, by card key (as last laid out). */
  private readonly cardRuns = new Map<string, readonly string[]>();
  private readonly bookmarks: BookmarkList;
  /** The rules that mark bookmarked cells and the current run's cells and labels. */
  private readonly marks = h("style");
  /** Where the pointer last was over the panel, for `b` and 1–9 (null once it left the frame). */
  private pointer: { x: number; y: number } | null = null;
  private readonly cardMenu: CardLayoutMenu;
  /** Every cell's pin button opens it; the Compare view (loaded with the first pin) sits above the cards. */
  private readonly pinMenu: PinMenu;
  private compareView: CompareView | null = null;
  private compareLoad: Promise<void> | null = null;
  private readonly compareSlot = h("div", { class: "mp-compare-slot" });
  private readonly heights = new WeakMap<Card, CardHeight>();
  /** The viewer settings each card's cells last got, so a change reaches only the cards it alters. */
  private readonly sent = new WeakMap<Card, string>();
  private unwatch: () => void = () => {};

  constructor(root: HTMLElement, api: MediaApi, private readonly opts: PanelOptions) {
    this.root = root;
    this.data = new PanelData(api);
    this.store = new Store(opts.location);
    const store = this.store;
    this.currentRun = new CurrentRun(store, () => this.shownRuns());
    this.runList = new RunList({ store, data: this.data, color: (run) => this.color(run) });
    this.tagList = new TagList({ store, data: this.data, shownRuns: () => this.shownRuns(), reveal: (key) => this.reveal(key) });
    this.toolbar = new Toolbar(store, { copyLink: () => this.copyLink(), help: () => this.help.toggle() });
    this.stepBox = new StepBox(store);
    this.cardMenu = new CardLayoutMenu(store);
    this.pinMenu = new PinMenu({
      store,
      previousStep: (run, tag, step) => this.data.resolveStep(run, tag, step - 1, this.known(run, tag)),
      nextRun: (run, tag, step) => this.nextRunWith(run, tag, step),
    });
    this.bookmarks = new BookmarkList(store, { jump: (key) => this.jumpTo(key) });
    this.toolbar.end.querySelector(".mp-toolbar-end-row")?.prepend(this.bookmarks.button);
    this.timeline = new Timeline({
      zoom: (w) => {
        if (w[0] <= w[1]) store.set({ zoom: w });
      },
      reset: () => store.set({ zoom: null }),
      step: (s) => store.stepTo(s),
      wheel: (center, factor) => {
        const extent = store.view.extent;
        const next = zoomWindow(store.state.zoom ?? extent, center, factor, extent[0], extent[1]);
        store.set({ zoom: next[0] <= extent[0] && next[1] >= extent[1] ? null : next }, "replace");
      },
    });
    this.banner = h("div", { class: "mp-banner", role: "status" });
    this.banner.hidden = true;
    this.indexing = h("div", { class: "mp-indexing", role: "status" });
    this.indexing.hidden = true;
    this.cardsEl = h("div", { class: "mp-cards" });
    this.main = h("main", { class: "mp-main mp-clip" }, this.compareSlot, this.cardsEl);
    const header = h("div", { class: "mp-header" }, this.toolbar.el,
      h("div", { class: "mp-timeline-row" }, this.stepBox.el, this.timeline.el, this.toolbar.end), this.indexing, this.banner);
    const side = h("aside", { class: "mp-side" }, this.runList.el, this.tagList.el);
    const sideHandle = h("div", { class: "mp-side-resize", "aria-label": "Resize the sidebar", title: "Drag to widen or narrow the sidebar" });
    side.append(sideHandle);
    side.style.width = `${sideWidth()}px`;
    dragWidth(sideHandle, SIDE_W, () => side.getBoundingClientRect().width, (px) => {
      side.style.width = `${px}px`;
    }, (px) => {
      setSideWidth(px);
      this.relayout();
    });
    clear(root);
    root.classList.add("mp-root");
    root.append(side, h("div", { class: "mp-content" }, header, this.main), this.help.el, this.cardMenu.pop, this.pinMenu.pop,
      this.bookmarks.pop, this.bookmarks.status, this.marks);
    this.main.addEventListener("scroll", () => this.scheduleVisible(), { passive: true });
    this.cardsEl.addEventListener("wheel", this.wheel, { passive: false });
    window.addEventListener("resize", () => this.relayout());
    document.addEventListener("keydown", (e) => this.onKey(e));
    document.addEventListener("pointermove", (e) => (this.pointer = { x: e.clientX, y: e.clientY }), { passive: true });
    document.addEventListener("pointerout", (e) => {
      if (!e.relatedTarget) this.pointer = null;
    });
    this.currentRun.subscribe((run) => {
      this.drawMarks();
      if (run !== null) this.revealRun(run);
    });
    // Keys pressed in TensorBoard's page (no click into the frame yet) work too, while shown.
    opts.location.outerDocument?.addEventListener("keydown", this.outerKey);
    store.subscribe((changed) => this.onChange(changed));
    this.cardsEl.append(notice("loading", "Loading runs and tags…"));
  }

  async start(): Promise<void> {
    try {
      await this.data.refresh(false);
    } catch (err) {
      clear(this.cardsEl);
      this.cardsEl.append(notice("error", `Could not load the run list: ${errorText(err)}. Retrying every few seconds.`));
    }
    this.runList.update();
    this.tagList.update();
    this.toolbar.update();
    this.showCompare();
    this.drawMarks();
    await this.build();
    // A link's run under review: its row in view, as ↓ would have left it.
    if (this.currentRun.value !== null) this.revealRun(this.currentRun.value);
    this.showIndexing();
    if (this.opts.pollMs > 0) this.pollTimer = window.setInterval(() => void this.poll(), this.opts.pollMs);
    this.unwatch = this.opts.location.watch(() => this.store.syncFromLocation(), () => this.store.rewrite());
  }

  stop(): void {
    window.clearInterval(this.pollTimer);
    this.unwatch();
    this.opts.location.outerDocument?.removeEventListener("keydown", this.outerKey);
  }

  /** Copies the view's link; says whether it could (else the link is shown to copy by hand). */
  private async copyLink(): Promise<string | null> {
    const url = this.opts.location.shareUrl();
    try {
      await navigator.clipboard.writeText(url);
      return null;
    } catch {
      return url;
    }
  }

  private get state(): Readonly<PanelState> {
    return this.store.state;
  }

  /** The one place that turns a state change into DOM work. */
  private onChange(changed: ReadonlySet<Change>): void {
    const has = (keys: ReadonlySet<Change>) => [...changed].some((k) => keys.has(k));
    this.stepBox.update();
    this.drawTimeline();
    if (changed.has("bookmarks") || changed.has("pins")) {
      this.bookmarks.update();
      this.drawMarks();
    }
    if (changed.has("pins") || changed.has("compareView")) {
      this.pinMenu.refresh();
      this.showCompare();
    }
    if (changed.has("steps")) return; // a build set the slider's stops; it re-addresses its cards
    this.toolbar.update();
    if (changed.has("runFilter") || changed.has("runsOff")) this.runList.update();
    if (changed.has("runFilter") || changed.has("runsOff") || changed.has("tagFilter") || changed.has("compare")) this.tagList.update();
    if (has(LAYOUT_KEYS)) {
      // Typing in a filter redraws its list at once and the cards once typing pauses, so a
      // keystroke among 10,000 runs answers within a frame (benchmarks/run_filter.py).
      if ([...changed].every((k) => k === "runFilter" || k === "tagFilter")) {
        window.clearTimeout(this.filterTimer);
        this.filterTimer = window.setTimeout(() => void this.build(), FILTER_SETTLE_MS);
      } else void this.build();
      return;
    }
    if (has(VIEWER_KEYS)) this.pushSettings();
    if (changed.has("views")) {
      for (const [key, card] of this.cards) this.bindView(key, cardBody(card));
      if (this.compareView) this.bindView(COMPARE_VIEW_KEY, this.compareView.el);
    }
    if (changed.has("step")) this.applyStep();
  }

  private drawTimeline(): void {
    const v = this.store.view;
    this.timeline.set({ window: this.state.zoom ?? v.extent, extent: v.extent, steps: [...v.steps], current: v.current });
  }

  private get current(): number | null {
    return this.store.view.current;
  }

  /** Scrolls to the card of `key` (or the card holding that tag) once the next build placed it. */
  private reveal(key: string): void {
    void Promise.resolve().then(() => this.built).then(() => {
      (this.cards.get(key) ?? this.cards.get(ALL_TAGS_CARD))?.el.scrollIntoView({ block: "start" });
    });
  }

  /** Card `key`'s viewer settings: its own where it set them, else the toolbar's and the grid's. */
  private viewerSettings(key: string): ViewerSettings {
    const c = cardSettings(this.state, key);
    return { ...c.viewer, "image.fit": c.fit, "image.pixelated": c.pixelated, captions: c.captions };
  }

  /** The Compare view, once there is something pinned (a link with pins reopens it). */
  private showCompare(): void {
    if (this.compareView) return this.compareView.update();
    if (this.compareLoad || !this.state.pins.length) return;
    this.compareLoad = import("./compare-view").then(({ CompareView }) => {
      this.compareView = new CompareView({
        store: this.store, api: this.data.api, runColor: (run) => this.color(run),
        // The grid-wide viewer settings: the Compare view belongs to no card.
        settings: () => this.viewerSettings(""), setSettings: (p) => this.setViewerSettings("", p),
      });
      this.compareSlot.append(this.compareView.el);
      this.bindView(COMPARE_VIEW_KEY, this.compareView.el);
    }, () => {
      this.compareLoad = null; // asked again on the next change (a rebuilt bundle, a lost connection)
    });
  }

  /** The next shown run after `run` (wrapping round) with `tag` at or before `step`, and that step. */
  private async nextRunWith(run: string, tag: string, step: number): Promise<{ run: string; step: number } | null> {
    const runs = this.shownRuns();
    const i = runs.indexOf(run);
    for (const r of [...runs.slice(i + 1), ...runs.slice(0, Math.max(0, i))]) {
      if (r === run || !this.data.hasSeries(r, tag)) continue;
      const s = await this.data.resolveStep(r, tag, step, this.known(r, tag));
      if (s !== null) return { run: r, step: s };
    }
    return null;
  }

  private pushSettings(): void {
    this.compareView?.updateSettings(this.viewerSettings(""));
    for (const [key, card] of this.cards) {
      const settings = this.viewerSettings(key);
      const text = JSON.stringify(settings);
      if (this.sent.get(card) === text) continue;
      this.sent.set(card, text);
      card.updateSettings(settings);
    }
  }

  /** A viewer changed a setting: the card's own when it keeps its own, else the grid-wide one. */
  private setViewerSettings(key: string, patch: ViewerSettings): void {
    const own = this.state.cards[key];
    if (own?.viewer) this.store.set({ cards: { ...this.state.cards, [key]: { ...own, viewer: { ...own.viewer, ...patch } } } }, "replace");
    else this.store.set({ viewer: { ...this.state.viewer, ...patch } }, "replace");
  }

  private applyStep(): void {
    // Spread step columns include the slider's step: a step between them re-lays the cards out.
    if (this.state.spread && [...this.cards.values()].some((c) => c.model.steps?.spread)) {
      void this.build();
      return;
    }
    for (const c of this.cards.values()) {
      c.readdress();
      c.refreshLabels();
    }
    void this.prefetchNeighbours();
  }

  private prefetchToken = 0;

  /**
   * Once the cells on screen show the slider's step, loads what they would show at the
   * neighbouring steps (item metadata in one batch, image bytes into the browser's cache), so
   * ←/→ repaints from memory instead of waiting on the server.
   */
  private async prefetchNeighbours(): Promise<void> {
    const token = ++this.prefetchToken;
    const cards = [...this.cards.values()];
    await Promise.all(cards.map((c) => c.settled()));
    const at = this.current;
    if (token !== this.prefetchToken || at === null) return;
    // Two steps the way the user last moved, then one the other way, asked for in that order.
    // Two, at once: a key pressed as soon as a step shows (or held down) arrives while the next
    // step's look-ahead is still in flight, and the one after must already be on its way.
    const ahead: number[] = [];
    let from = at;
    for (let i = 0; i < 2; i++) {
      const step = stepBeside(this.store.view.steps, from, this.lastMove);
      if (step === null || step === from) break;
      ahead.push((from = step));
    }
    const back = stepBeside(this.store.view.steps, at, -this.lastMove as -1 | 1);
    if (back !== null && back !== at) ahead.push(back);
    await Promise.all(ahead.flatMap((step) => cards.flatMap((card) => card.addressesAt(step).map((addr) => this.prefetch(addr)))));
  }

  /** Direction of the last ←/→ (the slider starts at the latest step, so back in time). */
  private lastMove: -1 | 1 = -1;

  private async prefetch(addr: CellAddress): Promise<void> {
    try {
      const actual = await this.data.resolveStep(addr.run, addr.tag, addr.step, this.known(addr.run, addr.tag));
      if (actual === null) return;
      const res = await this.data.api.items(addr.run, addr.tag, actual);
      const meta = res.items.find((m) => m.index === addr.index);
      if (meta?.kind === "image" && !meta.values) await preloadImage(this.data.api.dataUrl({ ...addr, step: actual }));
    } catch {
      // A failed look-ahead costs nothing: the cell asks again, and reports errors, when shown.
    }
  }


  private readonly outerKey = (e: KeyboardEvent): void => {
    const frame = window.frameElement;
    // TensorBoard keeps the frames of other tabs: only the shown Media tab takes keys.
    if (frame && !frame.getClientRects().length) return;
    this.onKey(e);
  };

  private onKey(e: KeyboardEvent): void {
    const action = e.defaultPrevented ? null : keyAction(e);
    if (!action) return;
    switch (action.do) {
      case "escape":
        if (this.help.open) this.help.close();
        else if (this.cardMenu.openKey !== null) this.cardMenu.close(true);
        else if (this.bookmarks.isOpen) this.bookmarks.close(true);
        else if (this.state.expanded !== null) this.store.set({ expanded: null });
        else if (this.currentRun.value !== null) this.currentRun.set(null);
        else return;
        break;
      case "help":
        this.help.toggle();
        break;
      case "step":
        this.lastMove = action.by;
        this.store.stepBy(action.by);
        break;
      case "end":
        this.store.stepToEnd(action.which);
        break;
      case "run": {
        // Through the runs of the card under the pointer (a run without a row there would
        // look like a key that does nothing), else of the panel.
        const key = this.underPointer()?.closest<HTMLElement>(".mp-card[data-card]")?.dataset.card;
        const runs = key === undefined ? undefined : this.cardRuns.get(key);
        this.currentRun.by(action.by, runs?.length ? runs : undefined);
        break;
      }
      case "flip":
        // The Compare view flips A and B and cancels the event (compare-view.ts, COMPARE_FLIP_EVENT);
        // with no Compare view open Space keeps its own use (it scrolls).
        if (window.dispatchEvent(new CustomEvent("mp-compare-flip", { cancelable: true }))) return;
        break;
      case "class":
        if (!this.toggleClass(action.n)) return;
        break;
      case "bookmark":
        if (!this.bookmarkUnderPointer()) return;
        break;
    }
    e.preventDefault();
  }

  /** The element under the pointer, if it is over the panel. */
  private underPointer(): Element | null {
    return this.pointer ? document.elementFromPoint(this.pointer.x, this.pointer.y) : null;
  }

  /** `b`: bookmarks the cell under the pointer, or removes its bookmark. */
  private bookmarkUnderPointer(): boolean {
    const el = this.underPointer();
    const key = cellKeyAt(el);
    if (!key) return false;
    this.bookmarks.toggle(key, el?.closest<HTMLElement>(".mp-cell") ?? null);
    return true;
  }

  /**
   * Key `n` of 1–9: shows or hides the n-th class of the masks shown, in the card under the
   * pointer (its own settings where it keeps them, as its class menu does), else grid-wide.
   */
  private toggleClass(n: number): boolean {
    const card = this.underPointer()?.closest<HTMLElement>(".mp-card[data-card]") ?? null;
    const scope = document.querySelector(".mp-lightbox") ?? card ?? this.root;
    const lists = [...scope.querySelectorAll<HTMLElement>("[data-class-ids]")].map((el) => el.dataset.classIds ?? "");
    const id = keyClasses(lists)[n - 1];
    if (id === undefined) return false;
    const key = card?.dataset.card;
    if (key !== undefined) this.setViewerSettings(key, classToggle(this.viewerSettings(key), id));
    else this.store.set({ viewer: { ...this.state.viewer, ...classToggle(this.state.viewer, id) } }, "replace");
    return true;
  }

  private drawMarks(): void {
    this.marks.textContent = markRules(this.state.bookmarks, this.currentRun.value);
  }

  /**
   * Scrolls the current run's row (or column) into view: in the card under the pointer (or
   * full screen), else the first card on screen that has the run, else any.
   */
  private revealRun(run: string): void {
    const under = this.underPointer()?.closest(".mp-card");
    const box = this.main.getBoundingClientRect();
    const cards = [...this.cards.values()];
    const onScreen = cards.filter((c) => {
      const r = c.el.getBoundingClientRect();
      return r.bottom > box.top && r.top < box.bottom;
    });
    const order = new Set([...cards.filter((c) => c.el === under || c.model.expanded), ...onScreen, ...cards]);
    for (const card of order) if (card.grids.some((g) => g.reveal((a) => a.run === run))) return;
  }

  /** A bookmark's link: its step on the slider, its run and tag shown and current, its cell scrolled into view. */
  private jumpTo(key: CellKey): void {
    const s = this.state;
    const patch: Partial<PanelState> = { step: key.step >= this.store.view.extent[1] ? null : key.step };
    if (s.runsOff.includes(key.run)) patch.runsOff = s.runsOff.filter((r) => r !== key.run);
    if (!makeMatcher(s.runFilter).test(key.run)) patch.runFilter = "";
    if (!makeMatcher(s.tagFilter).test(key.tag)) patch.tagFilter = "";
    if (s.zoom && (key.step < s.zoom[0] || key.step > s.zoom[1])) patch.zoom = null;
    if (s.expanded !== null) patch.expanded = null;
    this.store.set(patch);
    this.bookmarks.close(false);
    void Promise.resolve().then(() => this.built).then(() => {
      const card = this.cards.get(key.tag) ?? this.cards.get(ALL_TAGS_CARD);
      const cards = [...(card ? [card] : []), ...[...this.cards.values()].filter((c) => c !== card)];
      const exact = (a: CellAddress) => a.run === key.run && a.tag === key.tag && a.index === key.index && a.step === key.step;
      const near = (a: CellAddress) => a.run === key.run && a.tag === key.tag;
      this.currentRun.set(key.run); // first: its own scroll to the run's row gives way to the cell's
      if (!cards.some((c) => c.grids.some((g) => g.reveal(exact)))) cards.some((c) => c.grids.some((g) => g.reveal(near)));
      // Once mounted, the cell flashes: the eye finds it among its neighbours.
      requestAnimationFrame(() => requestAnimationFrame(() => {
        const cell = document.querySelector(cellSelector(key));
        if (cell) flash(cell);
      }));
    });
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

  // ---- cards --------------------------------------------------------------------------------

  /** Where the toolbar and slider end: a full-screen card starts below them, so they stay usable. */
  private headerBottom(): number {
    return this.root.querySelector(".mp-header")?.getBoundingClientRect().bottom ?? 0;
  }

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
    // Every tag of the kind in the run, whatever the tag filter: hiding a partner's own card must
    // not take it out of this cell's overlay. Tags without a loaded series are asked for the step.
    const others = [...this.data.tags.values()]
      .filter((t) => t.tag !== ref.tag && t.kind === meta.kind && t.runs.has(ref.run))
      .map((t) => t.tag);
    await Promise.all(others.map(async (tag) => {
      const steps = this.known(ref.run, tag)?.steps;
      const info = this.data.tags.get(tag)?.runs.get(ref.run);
      if (steps ? !steps.some((s) => compareSteps(s, ref.step) === 0)
        : !info || compareSteps(ref.step, info.first_step) < 0 || compareSteps(ref.step, info.last_step) > 0) return;
      try {
        const res = await this.data.api.items(ref.run, tag, ref.step);
        for (const m of res.items) out.push({ ref: { run: ref.run, tag, step: ref.step, index: m.index }, meta: m });
      } catch {
        // An overlay that fails to load is left out; the cell's own item still shows.
      }
    }));
    return out;
  }

  /** What a full-screen view of a card's item needs: the slider, the runs, items by address. */
  private navigator(key: string): ItemNavigator {
    return {
      current: () => this.current,
      stepBy: (d) => this.store.stepBy(d),
      setStep: (step) => this.store.set({ step: step >= this.store.view.extent[1] ? null : step }),
      subscribe: (fn) => {
        const offStore = this.store.subscribe((changed) => {
          if (changed.has("step") || changed.has("steps")) fn("step");
          if (changed.has("viewer") || changed.has("cards")) fn("settings");
        });
        const offRun = this.currentRun.subscribe(() => fn("run"));
        return () => {
          offStore();
          offRun();
        };
      },
      settings: () => this.viewerSettings(key),
      runs: () => this.shownRuns(),
      currentRun: () => this.currentRun.value,
      setRun: (run) => this.currentRun.set(run),
      runBy: (d) => this.currentRun.by(d, this.cardRuns.get(key)),
      item: async (run, tag, step, index) => {
        const actual = await this.data.resolveStep(run, tag, step, this.known(run, tag));
        if (actual === null) return null;
        const meta = (await this.data.api.items(run, tag, actual)).items.find((m) => m.index === index);
        return meta ? { ref: { run, tag, step: actual, index }, meta } : null;
      },
    };
  }

  /**
   * `showRun`: a strip of the run's colour on each cell, only where tiles of several runs flow
   * together (a gallery by run). A grid names the run in a row or column label or in its
   * section's title, each with the run's colour, so a strip there only repeated it.
   */
  private cellEnv(key: string, label?: string, showRun = false): CellEnv {
    return {
      data: this.data,
      settings: () => this.viewerSettings(key),
      setSettings: (p) => this.setViewerSettings(key, p),
      known: (run, tag) => this.known(run, tag),
      overlays: (ref, meta) => this.overlays(ref, meta),
      nav: this.navigator(key),
      runColor: (run) => this.color(run),
      showRun,
      label,
      pins: this.pinMenu,
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
    return labelEl(v, color, current, extra, v.axis === "run" ? this.data.runPrefix : 0);
  }


  /** What the data holds for a card's tags in the shown runs (the input of its layout). */
  private cardData(plan: CardPlan, runs: readonly string[]) {
    const tagInfos = plan.tags.map((t) => this.data.tags.get(t)).filter((t) => t !== undefined);
    const cardRuns = runs.filter((r) => tagInfos.some((t) => t.runs.has(r)));
    const lists: number[][] = [];
    for (const t of plan.tags) {
      const series = this.series.get(t);
      if (!series) continue;
      for (const r of cardRuns) if (series.runs[r]) lists.push(series.runs[r].steps);
    }
    const kinds = new Set(tagInfos.map((t) => t.kind));
    const stepTotal = Math.max(0, ...plan.tags.map((t) => {
      const ser = this.series.get(t);
      return ser ? Math.max(0, ...Object.values(ser.runs).map((r) => r.total)) : 0;
    }));
    return {
      runs: cardRuns,
      steps: mergeSteps(lists),
      maxItems: Math.max(1, ...tagInfos.map((t) => t.maxItems)),
      kind: kinds.size === 1 ? [...kinds][0] ?? "" : "mixed",
      stepTotal,
    };
  }

  /** The card's layout (pure, in card-model.ts) with the panel's cells, labels and colours attached. */
  private cardModel(plan: CardPlan, runs: readonly string[]): CardModel {
    const s = this.state;
    const own = cardSettings(s, plan.key);
    const byRun = own.galleryBy === "run";
    const data = this.cardData(plan, runs);
    this.cardRuns.set(plan.key, data.runs);
    const input = {
      plan,
      layout: own,
      data,
      width: this.cardWidth(plan.key),
      fullWidth: this.fullWidth(),
      expanded: s.expanded === plan.key,
      zoomed: s.zoom !== null,
      spread: s.spread,
      labelW: labelWidth(own.y),
      current: s.spread ? this.current : null,
    };
    let layout: CardLayout = layoutCard(input);
    if (input.expanded) {
      // Full screen: the cells grow to fill the window (never smaller than the chosen size).
      const cell = clampCell(fullScreenCell(layout, input.fullWidth, window.innerHeight - this.headerBottom()));
      if (cell > own.cell) layout = layoutCard({ ...input, layout: { ...own, cell } });
    }
    const { cellW, cellH, gap } = layout;
    const failedTag = plan.tags.find((t) => this.failed.has(t));
    const error = failedTag === undefined ? undefined : `Could not load the steps of ${failedTag}: ${errorText(this.failed.get(failedTag))}`;
    const sections: SectionModel[] = layout.sections.map((sec, sectionIndex) => {
      const { run, tag, body } = sec;
      const title = run === null ? null : { text: run, color: this.color(run) };
      let grid: GridModel;
      if (body.type === "gallery") {
        const { tiles, perRow } = body;
        grid = {
          rows: Math.ceil(tiles.length / perRow), cols: Math.min(perRow, tiles.length), cellW, cellH, gap, labelW: 0, headerH: 0,
          address: (r, c, slider) => {
            const v = tiles[r * perRow + c];
            return v ? cellAddress(this.fixed(run, tag, slider), v) : null;
          },
          env: (r, c) => this.cellEnv(plan.key, tileLabel(tiles[r * perRow + c]), byRun),
        };
      } else {
        const { rows, cols } = body;
        const video = layout.kind === "video";
        grid = {
          rows: rows.length, cols: cols.length, cellW, cellH, gap, labelW: body.labelW, headerH: body.headerH, group: body.group,
          rowLabel: (r) => this.axisLabel(rows[r], video ? () => this.rowCellsOf(plan.key, sectionIndex, r) : undefined),
          colLabel: (c) => this.axisLabel(cols[c]),
          address: (r, c, slider) => cellAddress(this.fixed(run, tag, slider), rows[r], cols[c]),
          env: () => this.cellEnv(plan.key),
          currentCol: () => cols.findIndex((v) => v.step !== undefined && v.step === this.current),
          labelWidth: (px) => {
            setLabelWidth(own.y, px);
            void this.build();
          },
        };
      }
      return { title, grid };
    });
    return {
      key: layout.key, title: layout.title, kind: layout.kind, info: layout.info, cell: layout.cell, expanded: layout.expanded,
      sections, signature: layout.signature + (error ?? ""), width: layout.width, fullWidth: layout.fullWidth, compare: layout.compare,
      steps: layout.steps, error,
      description: plan.tags.length === 1 ? this.data.tags.get(plan.tags[0])?.description : undefined,
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
  build(): Promise<void> {
    this.built = this.buildCards();
    return this.built;
  }

  private async buildCards(): Promise<void> {
    const token = ++this.buildToken;
    const s = this.state;
    const runs = this.shownRuns();
    const tags = this.shownTags(runs);
    if (!this.data.runNames.length) {
      this.showMessage("empty", "No runs in this logdir yet. Log media with mp.Writer(logdir).add(tag, mp.Image(…), step=…) or torch's SummaryWriter; new runs appear here within a few seconds.");
      this.store.setSteps([], [0, 0]);
      return;
    }
    if (!runs.length) {
      this.showMessage("empty", this.shownRunsReason());
      this.store.setSteps([], [0, 0]);
      return;
    }
    if (!tags.length) {
      this.showMessage("empty", this.data.tags.size
        ? `No tag matches the filter “${s.tagFilter}” in the selected runs.`
        : "No media logged in these runs yet (images, video, audio, 3D, molecules, HTML, text). New steps appear here within a few seconds.");
      this.store.setSteps([], [0, 0]);
      return;
    }
    const window: Window = s.zoom;
    // Compared tags show even when the tag filter hides their own cards: the user picked them.
    const compare = s.compare.filter((t) => runs.some((r) => this.data.tags.get(t)?.runs.has(r)));
    const seriesTags = [...new Set([...tags, ...compare])];
    // A tag whose series fails shows the error in its own card; the others load as usual.
    const got = await this.data.seriesOf(seriesTags, window);
    if (token !== this.buildToken) return;
    this.series = new Map();
    this.failed = new Map();
    for (const [t, r] of got) {
      if (r instanceof Error) this.failed.set(t, r);
      else this.series.set(t, r);
    }
    const results = [...this.series.values()];
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
    this.store.setSteps(mergeSteps(lists), lo <= hi ? [lo, hi] : [0, 0]);

    const plans = planCards(s.mode, s.x, s.y, tags, compare.length >= 2 ? compare : []);
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
        expand: (key, on) => this.store.set({ expanded: on ? key : null }),
        resize: (key, width, cell) => {
          const widths = { ...this.state.cardWidth };
          // Dragged back to (nearly) the full width: the card follows the page again.
          if (width === null || width >= this.fullWidth() - 8) delete widths[key];
          else widths[key] = clampCardWidth(width);
          this.store.set({ cardWidth: widths, cards: { ...this.state.cards, [key]: { ...this.state.cards[key], cell: clampCell(cell) } } });
        },
        close: () => {
          this.store.set({ compare: [] });
        },
        spread: (on) => this.store.set({ spread: on }),
      });
      this.sent.set(card, JSON.stringify(this.viewerSettings(plan.key)));
      // Focusable, so a click into the card lets the wheel scroll it (see `wheel`).
      card.el.tabIndex = -1;
      this.bindView(plan.key, cardBody(card));
      card.el.querySelector(".mp-card-header .mp-spacer")?.after(this.cardMenu.buttonFor(plan.key, plan.title));
      this.heights.set(card, new CardHeight(card, (px) => this.setCardHeight(plan.key, px), () => this.scheduleVisible()));
      keep.set(plan.key, card);
      order.push(card.el);
    }
    for (const [key, card] of this.cards) if (!keep.has(key)) card.destroy();
    this.cards = keep;
    for (const n of [...this.cardsEl.childNodes]) if (!order.includes(n as HTMLElement)) n.remove();
    this.cardsEl.append(...order); // re-appending existing nodes only reorders them
    this.root.classList.toggle("mp-has-expanded", s.expanded !== null && keep.has(s.expanded));
    this.root.style.setProperty("--mp-expanded-top", `${this.headerBottom()}px`);
    for (const [key, c] of this.cards) {
      this.heights.get(c)?.apply(s.expanded === key ? null : cardSettings(s, key).height);
      c.readdress();
      c.refreshLabels();
    }
    this.pushSettings();
    const menu = this.cardMenu.openKey;
    if (menu !== null) this.cardMenu.reattach(this.cards.get(menu)?.el.querySelector<HTMLElement>(".mp-card-layout-btn") ?? null);
    void this.prefetchNeighbours();
  }

  /** A view group's locked zoom (a card's body, the Compare view) from the link, and back into it. */
  private bindView(key: string, body: HTMLElement | null): void {
    if (!body) return;
    bindGroup(body, this.state.views[key] ?? null, (t) => {
      const views = { ...this.state.views };
      if (t) views[key] = t;
      else delete views[key];
      this.store.set({ views }, "replace");
    });
  }

  private setCardHeight(key: string, px: number | null): void {
    const own = { ...this.state.cards[key] };
    if (px === null) delete own.height;
    else own.height = px;
    this.store.set({ cards: { ...this.state.cards, [key]: own } });
  }

  /**
   * The wheel scrolls the page, not a card that scrolls inside, unless that card has the focus
   * (a click into it) or is full screen; a viewer that uses the wheel itself (zoom) keeps it.
   */
  private readonly wheel = (e: WheelEvent): void => {
    // Sideways the page does not scroll: a card's columns take it.
    if (e.defaultPrevented || e.ctrlKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) return;
    const card = e.target instanceof Element ? e.target.closest(".mp-card") : null;
    if (!card || card.classList.contains("mp-expanded") || card.contains(document.activeElement)) return;
    e.preventDefault();
    const line = e.deltaMode === 1 ? 16 : e.deltaMode === 2 ? this.main.clientHeight : 1;
    this.main.scrollBy({ top: e.deltaY * line });
  };

  private shownRunsReason(): string {
    const m = makeMatcher(this.state.runFilter);
    if (!this.data.runNames.some((r) => m.test(r))) {
      // A typo in a regex is the likely cause: say so rather than only "no match".
      return m.error
        ? `The run filter “${this.state.runFilter}” is not a valid regex (${m.error}), and no run name contains it as text.`
        : `No run matches the filter “${this.state.runFilter}”.`;
    }
    return "Every run is switched off. Tick runs in the run list (or click All) to show them.";
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
      // One cheap request per tab; the server rescans on its own (--reload_interval).
      const moved = await this.data.api.pollGeneration();
      this.banner.hidden = true;
      // While the server indexes, `runs` is asked anyway: it says how far indexing got.
      if (!moved && this.data.indexingPercent() === null) return;
      const before = this.data.runNames.join("\n");
      const changed = await this.data.refresh(false);
      if (before !== this.data.runNames.join("\n")) this.runList.update();
      if (changed.size) {
        this.tagList.update();
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
      this.showIndexing();
    }
  }

  /** While the server still indexes, says how far it got and polls every second, so runs and steps fill in as they are read. */
  private showIndexing(): void {
    const percent = this.data.indexingPercent();
    this.indexing.hidden = percent === null;
    window.clearTimeout(this.indexingTimer);
    const p = this.data.api.progress;
    if (percent === null || !p) return;
    this.indexing.textContent = `indexing… ${percent} %`;
    this.indexing.title = `Reading the logdir: ${p.files_done} of ${p.files_total} files, ${(p.bytes_done / 1e6).toFixed(1)} of ${(p.bytes_total / 1e6).toFixed(1)} MB; runs and steps appear as they are read`;
    this.indexing.style.setProperty("--done", `${percent}%`);
    if (this.opts.pollMs > 0) this.indexingTimer = window.setTimeout(() => void this.poll(), 1000);
  }
}
