// The sidebar's run list: a filter, All/None, and a checkbox per run in the run's colour.
import type { Store } from "../state/store";
import type { PanelData } from "./data";
import { clear, h } from "./dom";
import { makeMatcher } from "./filter";

export interface RunListDeps {
  store: Store;
  data: PanelData;
  color(run: string): string;
}

export class RunList {
  readonly el: HTMLElement;
  private readonly filter: HTMLInputElement;
  private readonly count: HTMLElement;
  private readonly list: HTMLElement;
  /** The runs listed and their checkboxes: a toggle re-ticks them in place, keeping focus. */
  private listed = "";
  private boxes = new Map<string, HTMLInputElement>();

  constructor(private readonly deps: RunListDeps) {
    const { store } = deps;
    this.filter = h("input", {
      class: "mp-filter", type: "search", placeholder: "Filter runs (regex)", "aria-label": "Filter runs",
    });
    this.filter.addEventListener("input", () => store.set({ runFilter: this.filter.value }, "replace"));
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
    this.list = h("ul", { class: "mp-list mp-run-list", "aria-label": "Runs" });
    this.el = h("div", { class: "mp-side-section mp-runs" },
      h("div", { class: "mp-side-head" }, h("span", { class: "mp-side-title", text: "Runs" }), this.count, h("span", { class: "mp-spacer" }), all, none),
      this.filter, this.list,
    );
  }

  private matching(): string[] {
    const m = makeMatcher(this.deps.store.state.runFilter);
    return this.deps.data.runNames.filter((r) => m.test(r));
  }

  update(): void {
    const { store, data, color } = this.deps;
    const s = store.state;
    if (this.filter.value !== s.runFilter) this.filter.value = s.runFilter;
    const off = new Set(s.runsOff);
    const matching = this.matching();
    this.count.textContent = `${matching.filter((r) => !off.has(r)).length}/${data.runNames.length}`;
    const listed = JSON.stringify([data.runNames, matching, data.runs.map((r) => r.skipped_records)]);
    if (listed === this.listed) {
      for (const [run, box] of this.boxes) box.checked = !off.has(run);
      return;
    }
    this.listed = listed;
    this.boxes = new Map();
    clear(this.list);
    if (!data.runNames.length) this.list.append(h("li", { class: "mp-empty-line", text: "No runs yet" }));
    else if (!matching.length) this.list.append(h("li", { class: "mp-empty-line", text: "No run matches the filter" }));
    for (const run of matching) {
      const box = h("input", { type: "checkbox", "aria-label": run });
      box.checked = !off.has(run);
      this.boxes.set(run, box);
      box.style.accentColor = color(run);
      box.addEventListener("change", () => {
        const next = new Set(store.state.runsOff);
        if (box.checked) next.delete(run);
        else next.add(run);
        store.set({ runsOff: [...next] });
      });
      const dot = h("span", { class: "mp-run-dot" });
      dot.style.background = color(run);
      const info = data.runs.find((r) => r.name === run);
      const warn = info && info.skipped_records > 0
        ? h("span", { class: "mp-warn", text: "⚠", title: `${info.skipped_records} corrupt or oversized records skipped` })
        : null;
      this.list.append(h("li", { class: "mp-run" }, h("label", { title: run }, box, dot, h("span", { class: "mp-run-name", text: run }), warn)));
    }
  }
}
