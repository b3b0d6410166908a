// The sidebar's tag list: a filter (with its regex error), the comparison chips, and a row per
// tag whose checkbox picks it for comparing and whose name scrolls to its card.
import type { Store } from "../state/store";
import type { PanelData } from "./data";
import { clear, h } from "./dom";
import { makeMatcher } from "./filter";
import { COMPARE_CARD, shortTagNames, suggestPairs } from "./layout";

export interface TagListDeps {
  store: Store;
  data: PanelData;
  shownRuns(): string[];
  /** Scrolls to the card of `key` (a tag, or a card that holds it) once it is built. */
  reveal(key: string): void;
}

export class TagList {
  readonly el: HTMLElement;
  private readonly filter: HTMLInputElement;
  private readonly err: HTMLElement;
  private readonly list: HTMLElement;
  private readonly pairs: HTMLElement;

  constructor(private readonly deps: TagListDeps) {
    this.filter = h("input", {
      class: "mp-filter", type: "search", placeholder: "Filter tags (regex)", "aria-label": "Filter tags",
    });
    this.filter.addEventListener("input", () => deps.store.set({ tagFilter: this.filter.value }, "replace"));
    this.err = h("div", { class: "mp-filter-error", role: "alert" });
    this.list = h("ul", { class: "mp-list mp-tag-list", "aria-label": "Tags" });
    this.pairs = h("div", { class: "mp-compare-box" });
    this.el = h("div", { class: "mp-side-section mp-tags" },
      h("div", { class: "mp-side-head" }, h("span", { class: "mp-side-title", text: "Tags" }),
        h("span", { class: "mp-spacer" }), h("span", { class: "mp-side-hint", text: "tick to compare" })),
      this.filter, this.err, this.pairs, this.list);
  }

  private setCompare(next: string[]): void {
    this.deps.store.set({ compare: next });
    if (next.length >= 2) this.deps.reveal(COMPARE_CARD);
  }

  private fillPairs(): void {
    const { store, data } = this.deps;
    clear(this.pairs);
    const cmp = store.state.compare;
    if (cmp.length) {
      const stop = h("button", { class: "mp-link-btn", text: "Clear", title: "Stop comparing" });
      const now = cmp.length >= 2 ? `Comparing ${shortTagNames(cmp).join(" vs ")}` : `Tick one more tag to compare with ${cmp[0]}`;
      stop.addEventListener("click", () => this.setCompare([]));
      this.pairs.append(h("div", { class: "mp-compare-now" },
        h("span", { class: "mp-compare-text", text: now, title: now }), stop));
    }
    for (const [a, b] of suggestPairs([...data.tags.keys()])) {
      if (cmp.length === 2 && cmp[0] === a && cmp[1] === b) continue;
      const names = shortTagNames([a, b]);
      // Several pairs often share their last parts (predicted ↔ true): name the group too.
      const group = a.slice(0, a.length - names[0].length).replace(/\/$/, "");
      const chip = h("button", {
        class: "mp-chip mp-pair-chip", title: `Show ${a} and ${b} side by side in one card`,
        text: `Compare ${group ? `${group}: ` : ""}${names[0]} ↔ ${names[1]}`,
      });
      chip.addEventListener("click", () => this.setCompare([a, b]));
      this.pairs.append(chip);
    }
  }

  update(): void {
    const { store, data } = this.deps;
    const s = store.state;
    if (this.filter.value !== s.tagFilter) this.filter.value = s.tagFilter;
    this.fillPairs();
    const matcher = makeMatcher(s.tagFilter);
    this.err.textContent = matcher.error ? `Not a valid regex (${matcher.error}); matching as text` : "";
    this.err.hidden = !matcher.error;
    clear(this.list);
    const runs = this.deps.shownRuns();
    const tags = [...data.tags.values()];
    if (!tags.length) this.list.append(h("li", { class: "mp-empty-line", text: "No media tags yet" }));
    for (const t of tags) {
      if (!matcher.test(t.tag)) continue;
      const inRuns = runs.filter((r) => t.runs.has(r)).length;
      const pick = h("input", { type: "checkbox", class: "mp-compare-pick", "aria-label": `Compare ${t.tag}`, title: "Compare side by side with other ticked tags" });
      pick.checked = s.compare.includes(t.tag);
      pick.addEventListener("change", () => {
        const rest = store.state.compare.filter((x) => x !== t.tag);
        this.setCompare(pick.checked ? [...rest, t.tag] : rest);
      });
      const name = h("button", { class: "mp-tag-btn", title: `${t.tag}: ${t.kind}, in ${t.runs.size} run${t.runs.size === 1 ? "" : "s"}` },
        h("span", { class: "mp-tag-name", text: t.tag }), h("span", { class: "mp-kind", text: t.kind }));
      name.addEventListener("click", () => this.deps.reveal(t.tag));
      this.list.append(h("li", { class: `mp-tag${inRuns ? "" : " mp-dim"}` }, pick, name));
    }
  }
}
