// The step axis above the grid: a tick per logged step (aggregated per pixel when dense), drag to
// select a span and zoom into it, wheel to zoom around the pointer, double-click to reset; the
// lower track is the global step slider (click or drag; snaps to logged steps).
import { h } from "./dom";
import { niceTicks, shortStep, snapStep, stepsInWindow, tickBins } from "./steps";

export interface TimelineView {
  /** The visible window and the full extent of logged steps. */
  window: [number, number];
  extent: [number, number];
  /** Logged steps inside the window (for ticks and snapping). */
  steps: number[];
  current: number | null;
}

export interface TimelineEvents {
  zoom(window: [number, number]): void;
  reset(): void;
  step(step: number): void;
  wheel(center: number, factor: number): void;
}

const HEIGHT = 58;
const TICK_BAND = 24; // ticks drawn in y ∈ [0, TICK_BAND)
const LABEL_Y = 36;
const TRACK_Y = 48;
const PAD = 12; // keeps the first/last tick and the thumb inside the canvas

export class Timeline {
  readonly el: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private view: TimelineView | null = null;
  private brush: { from: number; to: number } | null = null;
  private scrubbing = false;

  constructor(private readonly on: TimelineEvents) {
    this.canvas = h("canvas", { class: "mp-timeline-canvas", height: HEIGHT });
    this.el = h("div", {
      class: "mp-timeline", role: "slider", tabindex: 0, "aria-label": "Step (drag on the ticks to zoom, double-click to reset)",
    }, this.canvas);
    this.canvas.addEventListener("pointerdown", (e) => this.down(e));
    this.canvas.addEventListener("pointermove", (e) => this.move(e));
    this.canvas.addEventListener("pointerup", (e) => this.up(e));
    this.canvas.addEventListener("dblclick", () => this.on.reset());
    this.canvas.addEventListener("wheel", (e) => {
      if (!this.view) return;
      e.preventDefault();
      this.on.wheel(this.stepAt(e.offsetX), e.deltaY > 0 ? 1.25 : 0.8);
    }, { passive: false });
  }

  private width(): number {
    return this.canvas.clientWidth || this.canvas.width;
  }

  /** Step under pixel x (continuous, before snapping). */
  stepAt(x: number): number {
    const [a, b] = this.view?.window ?? [0, 0];
    const t = Math.min(1, Math.max(0, (x - PAD) / Math.max(1, this.width() - 2 * PAD)));
    return a + t * (b - a);
  }

  xOf(step: number): number {
    const [a, b] = this.view?.window ?? [0, 0];
    const t = b > a ? (step - a) / (b - a) : 0.5;
    return PAD + t * (this.width() - 2 * PAD);
  }

  private down(e: PointerEvent): void {
    if (!this.view) return;
    this.canvas.setPointerCapture(e.pointerId);
    if (e.offsetY < LABEL_Y) {
      this.brush = { from: e.offsetX, to: e.offsetX };
    } else {
      this.scrubbing = true;
      this.scrubTo(e.offsetX);
    }
    this.draw();
  }

  private move(e: PointerEvent): void {
    if (this.brush) {
      this.brush.to = e.offsetX;
      this.draw();
    } else if (this.scrubbing) {
      this.scrubTo(e.offsetX);
    }
  }

  private up(e: PointerEvent): void {
    const brush = this.brush;
    this.brush = null;
    this.scrubbing = false;
    if (brush && this.view) {
      if (Math.abs(brush.to - brush.from) >= 4) {
        // The window spans the first to the last logged step the brush covers (give or take a
        // pixel), so the label reads the steps the user aimed at (1000–3000), not 998–3004.
        const a = this.stepAt(Math.min(brush.from, brush.to));
        const b = this.stepAt(Math.max(brush.from, brush.to));
        const pixel = (this.view.window[1] - this.view.window[0]) / Math.max(1, this.width() - 2 * PAD);
        const covered = stepsInWindow(this.view.steps, Math.ceil(a - pixel), Math.floor(b + pixel));
        this.on.zoom(covered.length ? [covered[0], covered[covered.length - 1]] : [Math.floor(a), Math.ceil(b)]);
      } else {
        this.scrubTo(e.offsetX); // a click on the ticks picks the step there
      }
    }
    this.draw();
  }

  private scrubTo(x: number): void {
    if (!this.view) return;
    const s = snapStep(this.view.steps, this.stepAt(x));
    if (s !== null && s !== this.view.current) this.on.step(s);
  }

  set(view: TimelineView): void {
    this.view = view;
    this.el.setAttribute("aria-valuemin", String(view.window[0]));
    this.el.setAttribute("aria-valuemax", String(view.window[1]));
    this.el.setAttribute("aria-valuenow", String(view.current ?? ""));
    this.draw();
  }

  draw(): void {
    const w = Math.max(50, Math.round(this.width()));
    const dpr = window.devicePixelRatio || 1;
    if (this.canvas.width !== Math.round(w * dpr)) {
      this.canvas.width = Math.round(w * dpr);
      this.canvas.height = Math.round(HEIGHT * dpr);
    }
    const g = this.canvas.getContext("2d");
    if (!g) return;
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, HEIGHT);
    const v = this.view;
    if (!v) return;
    const [a, b] = v.window;
    const inner = w - 2 * PAD;
    // Ticks: one per logged step, or a bar per pixel whose height grows with the steps it holds.
    const bins = tickBins(v.steps, a, b, inner);
    let most = 1;
    for (const n of bins) most = Math.max(most, n);
    g.fillStyle = "#9e9e9e";
    for (let x = 0; x < bins.length; x++) {
      if (!bins[x]) continue;
      const hgt = most === 1 ? 12 : 6 + (Math.log(bins[x] + 1) / Math.log(most + 1)) * (TICK_BAND - 8);
      g.fillRect(PAD + x, TICK_BAND - hgt, 1, hgt);
    }
    g.fillStyle = "#bdbdbd";
    g.fillRect(PAD, TICK_BAND, inner, 1);
    // Labels at round steps.
    g.fillStyle = "#616161";
    g.font = "11px Roboto, 'Helvetica Neue', Arial, sans-serif";
    g.textBaseline = "alphabetic";
    const labels = niceTicks(a, b, Math.max(2, Math.floor(inner / 90)));
    for (const s of labels) {
      const x = this.xOf(s);
      g.fillRect(x, TICK_BAND, 1, 4);
      const text = shortStep(s);
      const tw = g.measureText(text).width;
      g.fillText(text, Math.min(w - tw - 2, Math.max(2, x - tw / 2)), LABEL_Y);
    }
    // Track and thumb.
    g.fillStyle = "#e0e0e0";
    g.fillRect(PAD, TRACK_Y - 2, inner, 4);
    if (v.current !== null && v.current >= a && v.current <= b) {
      const x = this.xOf(v.current);
      g.fillStyle = "#f57c00";
      g.fillRect(PAD, TRACK_Y - 2, x - PAD, 4);
      g.fillRect(x - 0.5, 0, 1, TICK_BAND);
      g.beginPath();
      g.arc(x, TRACK_Y, 7, 0, 2 * Math.PI);
      g.fill();
    }
    if (this.brush) {
      const x0 = Math.min(this.brush.from, this.brush.to);
      const x1 = Math.max(this.brush.from, this.brush.to);
      g.fillStyle = "rgba(245, 124, 0, 0.18)";
      g.fillRect(x0, 0, x1 - x0, LABEL_Y - 8);
      g.fillStyle = "#f57c00";
      g.fillRect(x0, 0, 1, LABEL_Y - 8);
      g.fillRect(x1, 0, 1, LABEL_Y - 8);
    }
  }
}
