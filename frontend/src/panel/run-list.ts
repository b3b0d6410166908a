// The sidebar's run list: a filter, All/None, and a checkbox per run in the run's colour. Only
// the rows in view are in the DOM, so 10,000 runs list and filter as fast as ten.
import type { RunInfo } from "../api-types";
import type { Store } from "../state/store";
import type { PanelData } from "./data";
import { clear, h, nameEl } from "./dom";
import { makeMatcher } from "./filter";

export interface RunListDeps {
  store: Store;
  data: PanelData;
  color(run: string): string;
}

/** Height of one run's row (styles.css `.mp-run`), and rows kept beyond either edge. */
const ROW_H = 22;
const OVERSCAN = 8;

export class RunList {
  readonly el: HTMLElement;
  private readonly filter: HTMLInputElement;
  private readonly error: HTMLElement;
  private readonly count: HTMLElement;
  private readonly list: HTMLElement;
  /** As tall as every matching row, so the list scrolls over all of them. */
  private readonly plane: HTMLElement;
  private matches: string[] = [];
  private info = new Map<string, RunInfo>();
  /** The input `matches` came from: the filter is re-run only when the filter or the runs change. */
  private matchedFor = "";
  /** Rows in the DOM, by run, with their checkboxes. */
  private rows = new Map<string, { li: HTMLElement; box: HTMLInputElement }>();
  private drawn = "";

  constructor(private readonly deps: RunListDeps) {
    const { store } = deps;
    this.filter = h("input", {
      class: "mp-filter", type: "search", placeholder: "Filter runs (regex)", "aria-label": "Filter runs",
    });
    this.filter.addEventListener("input", () => store.set({ runFilter: this.filter.value }, "replace"));
    this.error = h("div", { class: "mp-filter-error", role: "alert" });
    this.error.hidden = true;
    const all = h("button", { class: "mp-link-btn", text: "All", title: "Show every run matching the filter" });
    const none = h("button", { class: "mp-link-btn", text: "None", title: "Hide every run matching the filter" });
    all.addEventListener("click", () => {
      const shown = new Set(this.matching());
      store.set({ runsOff: store.state.runsOff.filter((r) => !shown.has(r)) });
    });
    none.addEventListener("click", () => {
      store.set({ runsOff: [...new Set([...store.state.runsOff, ...this.matching()])] });
    });
    this.count = h("span", { class: "mp-count" });
    this.plane = h("div", { class: "mp-run-plane" });
    this.list = h("ul", { class: "mp-list mp-run-list", "aria-label": "Runs" }, this.plane);
    this.list.addEventListener("scroll", () => this.draw(), { passive: true });
    new ResizeObserver(() => this.draw()).observe(this.list);
    this.el = h("div", { class: "mp-side-section mp-runs" },
      h("div", { class: "mp-side-head" }, h("span", { class: "mp-side-title", text: "Runs" }), this.count, h("span", { class: "mp-spacer" }), all, none),
      this.filter, this.error, this.list,
    );
  }

  /** Runs matching the filter, in list order (cached until the filter or the runs change). */
  private matching(): string[] {
    const { data, store } = this.deps;
    const key = `${store.state.runFilter}\u0000${data.runNames.length}\u0000${data.runNames[0] ?? ""}\u0000${data.runNames[data.runNames.length - 1] ?? ""}`;
    if (key !== this.matchedFor || this.info.size !== data.runs.length) {
      if (this.info.size !== data.runs.length) this.rows.clear(); // their names' shared prefix may differ
      const m = makeMatcher(store.state.runFilter);
      this.matches = data.runNames.filter((r) => m.test(r));
      this.info = new Map(data.runs.map((r) => [r.name, r]));
      this.matchedFor = key;
      this.error.textContent = m.error ? `Not a valid regex (${m.error}); matching as text` : "";
      this.error.hidden = !m.error;
    }
    return this.matches;
  }

  update(): void {
    const { store, data } = this.deps;
    const s = store.state;
    if (this.filter.value !== s.runFilter) this.filter.value = s.runFilter;
    this.matchedFor = ""; // runs may have changed in place (new runs, skipped counts)
    const matching = this.matching();
    const off = new Set(s.runsOff);
    let on = 0;
    for (const r of matching) if (!off.has(r)) on++;
    this.count.textContent = `${on}/${data.runNames.length}`;
    for (const [run, row] of this.rows) row.box.checked = !off.has(run);
    this.drawn = "";
    this.draw();
  }

  /** Mounts the rows in view (and a few beyond), drops the others. */
  private draw(): void {
    const { store, data } = this.deps;
    const matching = this.matches;
    this.plane.style.height = `${matching.length * ROW_H}px`;
    const first = Math.max(0, Math.floor(this.list.scrollTop / ROW_H) - OVERSCAN);
    const last = Math.min(matching.length, Math.ceil((this.list.scrollTop + this.list.clientHeight) / ROW_H) + OVERSCAN);
    const key = `${first}:${last}:${matching.length}:${this.matchedFor}`;
    if (key === this.drawn) return;
    this.drawn = key;
    const empty = !data.runNames.length ? "No runs yet" : !matching.length ? "No run matches the filter" : null;
    const off = new Set(store.state.runsOff);
    const want = new Set(matching.slice(first, last));
    for (const [run, row] of this.rows) {
      if (!want.has(run)) {
        row.li.remove();
        this.rows.delete(run);
      }
    }
    clear(this.plane);
    if (empty) this.plane.append(h("li", { class: "mp-empty-line", text: empty }));
    for (let i = first; i < last; i++) {
      const run = matching[i];
      const row = this.rows.get(run) ?? this.row(run);
      row.box.checked = !off.has(run);
      row.li.style.top = `${i * ROW_H}px`;
      this.rows.set(run, row);
      this.plane.append(row.li);
    }
  }

  private row(run: string): { li: HTMLElement; box: HTMLInputElement } {
    const { store, color } = this.deps;
    const box = h("input", { type: "checkbox", "aria-label": run });
    box.style.accentColor = color(run);
    box.addEventListener("change", () => {
      const next = new Set(store.state.runsOff);
      if (box.checked) next.delete(run);
      else next.add(run);
      store.set({ runsOff: [...next] });
    });
    const dot = h("span", { class: "mp-run-dot" });
    dot.style.background = color(run);
    const info = this.info.get(run);
    const warn = info && info.skipped_records > 0
      ? h("span", { class: "mp-warn", text: "⚠", title: `${info.skipped_records} corrupt or oversized records skipped` })
      : null;
    const li = h("li", { class: "mp-run" }, h("label", { title: run }, box, dot, nameEl(run, "mp-run-name", this.deps.data.runPrefix), warn));
    return { li, box };
  }
}
