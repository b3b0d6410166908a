// Beside the timeline: prev/next, the slider's step (and whether it follows the latest one),
// and the zoom window with its reset.
import type { Store } from "../state/store";
import { setIcon } from "../viewers/icons";
import { h } from "./dom";

export class StepBox {
  readonly el: HTMLElement;
  private readonly value: HTMLElement;
  private readonly live: HTMLElement;
  private readonly window: HTMLElement;
  private readonly reset: HTMLButtonElement;

  constructor(private readonly store: Store) {
    const prev = h("button", { class: "mp-icon-btn", title: "Previous step (←)", "aria-label": "Previous step" });
    const next = h("button", { class: "mp-icon-btn", title: "Next step (→)", "aria-label": "Next step" });
    setIcon(prev, "prev", 20);
    setIcon(next, "next", 20);
    prev.addEventListener("click", () => store.stepBy(-1));
    next.addEventListener("click", () => store.stepBy(1));
    this.value = h("span", { class: "mp-step-value" });
    this.live = h("span", { class: "mp-live", text: "latest", title: "Follows new steps as they are logged" });
    this.window = h("span", { title: "Drag on the axis to zoom; wheel zooms; double-click resets" });
    this.reset = h("button", { class: "mp-link-btn", text: "Reset zoom", "aria-label": "Reset zoom" });
    this.reset.addEventListener("click", () => store.set({ zoom: null }));
    this.el = h("div", { class: "mp-stepbox" },
      h("div", { class: "mp-step-row" }, prev,
        h("div", { class: "mp-step-label" }, h("span", { class: "mp-step-caption", text: "step" }), this.value), next, this.live),
      h("div", { class: "mp-zoom-info" }, this.window, this.reset));
  }

  update(): void {
    const { current, latest } = this.store.view;
    const z = this.store.state.zoom;
    this.value.textContent = current === null ? "–" : String(current);
    this.live.hidden = !latest;
    this.window.textContent = z ? `${z[0]}–${z[1]}` : "all steps";
    this.reset.hidden = !z;
  }
}
