// One grid cell: resolves its address to a logged item (the nearest earlier step when the run
// lacks the requested one), mounts the item's viewer, and swaps to a new item only once the new
// one is ready, so scrubbing never flashes blank cells.
import type { ItemMeta, ItemRef, RunSeries } from "../api-types";
import { ViewerUnavailable, loadViewer } from "../viewers/registry";
import type { ItemNavigator, ViewerContext, ViewerInstance, ViewerSettings } from "../viewers/types";
import type { PanelData } from "./data";
import { errorText } from "./data";
import { displayText, h } from "./dom";
import type { CellAddress } from "./layout";
import type { PinMenu } from "./pin-menu";

export interface CellEnv {
  data: PanelData;
  settings(): ViewerSettings;
  setSettings(patch: ViewerSettings): void;
  /** The run's known steps for the tag in the current window (for nearest-earlier lookups). */
  known(run: string, tag: string): RunSeries | undefined;
  /** Items of other tags at this run and step, offered to 3D and molecule viewers as overlays. */
  overlays(ref: ItemRef, meta: ItemMeta): Promise<{ ref: ItemRef; meta: ItemMeta }[]>;
  /** The slider and runs, for the full-screen view of an item. */
  nav?: ItemNavigator;
  runColor(run: string): string;
  /** Show the run's colour as a strip on the cell (where cells of several runs mix). */
  showRun: boolean;
  label?: string;
  /** The panel's pin menu: the cell gets a pin button (Compare view). */
  pins?: PinMenu;
}

const OVERLAY_KINDS = new Set(["object3d", "pointcloud", "molecule"]);

export class Cell {
  readonly el: HTMLElement;
  private readonly body: HTMLElement;
  private readonly badge: HTMLElement;
  private instance: ViewerInstance | null = null;
  private content: HTMLElement | null = null;
  private shown: string | null = null;
  private pending: AbortController | null = null;
  private token = 0;
  private readonly pin: ReturnType<PinMenu["button"]> | null;
  /** Settles when the current address has been shown (or failed, or was superseded). */
  ready: Promise<void>;

  constructor(private readonly env: CellEnv, private addr: CellAddress) {
    this.body = h("div", { class: "mp-cell-body" });
    this.badge = h("div", { class: "mp-cell-badge" });
    this.el = h("div", { class: "mp-cell", "data-state": "loading" }, this.body, this.badge);
    if (env.showRun) this.el.style.setProperty("--run-color", env.runColor(addr.run));
    this.el.classList.toggle("mp-show-run", env.showRun);
    if (env.label !== undefined) this.el.append(h("div", { class: "mp-tile-label", text: env.label, title: env.label }));
    this.pin = env.pins?.button(() => this.pinKey()) ?? null;
    if (this.pin) {
      this.el.classList.add("mp-has-pin");
      this.el.append(this.pin.el);
    }
    this.ready = this.load();
  }

  get address(): CellAddress {
    return this.addr;
  }

  setAddress(addr: CellAddress): void {
    const a = this.addr;
    if (a.run === addr.run && a.tag === addr.tag && a.step === addr.step && a.index === addr.index) return;
    this.addr = addr;
    this.ready = this.load();
  }

  /** Re-resolve after new data arrived (live updates) even when the address is unchanged. */
  reload(): void {
    this.ready = this.load();
  }

  update(settings: ViewerSettings): void {
    this.instance?.update?.(settings);
  }

  resize(width: number, height: number): void {
    this.instance?.resize?.(width, height);
  }

  private setState(state: "loading" | "ready" | "empty" | "error", text?: string): void {
    this.el.dataset.state = state;
    if (state === "ready") return;
    this.swap(null, null, null);
    if (text) this.body.append(h("div", { class: `mp-cell-msg mp-cell-${state}`, text }));
  }

  private swap(content: HTMLElement | null, instance: ViewerInstance | null, key: string | null): void {
    this.instance?.destroy();
    this.content?.remove();
    for (const msg of this.body.querySelectorAll(".mp-cell-msg")) msg.remove();
    this.instance = instance;
    this.content = content;
    this.shown = key;
  }

  private async load(): Promise<void> {
    const token = ++this.token;
    this.pending?.abort();
    const ctrl = new AbortController();
    this.pending = ctrl;
    const { run, tag, step, index } = this.addr;
    this.el.dataset.run = run;
    this.el.dataset.tag = tag;
    this.el.dataset.index = String(index);
    this.el.dataset.requestedStep = String(step);
    if (!this.env.data.hasSeries(run, tag)) {
      // A grid of several tags meets runs that never logged one of them: an empty cell, no error.
      this.setState("empty", "no data");
      this.el.title = displayText(`${run} has no ${tag}`);
      this.setBadge(null, step);
      return;
    }
    this.el.title = "";
    if (!this.content) this.setState("loading", "Loading…");
    try {
      const actual = await this.env.data.resolveStep(run, tag, step, this.env.known(run, tag));
      if (token !== this.token) return;
      if (actual === null) {
        this.setState("empty", `No ${tag} in ${run} at or before step ${step}`);
        this.setBadge(null, step);
        return;
      }
      const res = await this.env.data.api.items(run, tag, actual);
      if (token !== this.token) return;
      const meta = res.items.find((it) => it.index === index);
      if (!meta) {
        this.setState("empty", `No item #${index} at step ${actual}`);
        this.setBadge(actual, step);
        return;
      }
      // The content key too: a step logged again is the same address with other bytes.
      const key = JSON.stringify([run, tag, actual, index, meta.key]);
      if (key === this.shown) {
        this.setBadge(actual, step);
        return;
      }
      const ref: ItemRef = { run, tag, step: actual, index };
      const viewer = await loadViewer(meta);
      const overlays = OVERLAY_KINDS.has(meta.kind) ? await this.env.overlays(ref, meta) : undefined;
      if (token !== this.token) return;
      const content = h("div", { class: "mp-cell-content" });
      const ctx: ViewerContext = {
        source: this.env.data.api,
        settings: this.env.settings(),
        setSettings: (patch) => this.env.setSettings(patch),
        signal: ctrl.signal,
        overlays,
        nav: this.env.nav,
      };
      // Mounted off to the side and swapped in when ready: the old item stays until then.
      content.hidden = true;
      this.body.append(content);
      let instance: ViewerInstance;
      try {
        instance = await viewer.mount(content, ref, meta, ctx);
      } catch (err) {
        content.remove();
        throw err;
      }
      if (token !== this.token) {
        instance.destroy();
        content.remove();
        return;
      }
      this.swap(content, instance, key);
      content.hidden = false;
      this.el.dataset.state = "ready";
      this.el.dataset.kind = meta.kind;
      this.setBadge(actual, step);
    } catch (err) {
      if (token !== this.token || ctrl.signal.aborted) return;
      this.setState("error", err instanceof ViewerUnavailable
        ? `Viewer not available: ${err.module} items cannot be shown by this build`
        : `Could not load: ${errorText(err)}`);
    }
  }

  /** What the cell shows, as a pin: the step it shows (the nearest earlier one), once shown. */
  private pinKey(): { run: string; tag: string; step: number; index: number } | null {
    const step = Number(this.el.dataset.step || NaN);
    if (this.el.dataset.state !== "ready" || !Number.isSafeInteger(step)) return null;
    return { run: this.addr.run, tag: this.addr.tag, step, index: this.addr.index };
  }

  private setBadge(actual: number | null, requested: number): void {
    const earlier = actual !== null && actual !== requested;
    this.el.dataset.step = actual === null ? "" : String(actual);
    this.pin?.refresh();
    this.el.classList.toggle("mp-earlier", earlier);
    this.badge.textContent = earlier ? `step ${actual}` : "";
    this.badge.title = earlier ? displayText(`${this.addr.run} has no item at step ${requested}; showing step ${actual}, the nearest earlier`) : "";
  }

  destroy(): void {
    this.pin?.release();
    this.token++;
    this.pending?.abort();
    this.swap(null, null, null);
    this.el.remove();
  }
}
