// The one writer of the panel's state. Components read `state` and call actions; the store
// mirrors every change to the address bar and tells its listeners which keys changed.
import { snapStep, stepBeside } from "../panel/steps";
import type { PanelState } from "./settings";
import { decodeState, encodeState } from "./settings";

/**
 * "push": a view change Back can undo; "replace": a continuous one (slider, typing, dragging)
 * that updates the current history entry instead of flooding it.
 */
export type HistoryMode = "push" | "replace";

export interface StoreIO {
  read(): string;
  write(encoded: string, mode: HistoryMode): void;
}

/** State keys that changed, plus "steps" when the slider's stops (and so `current`) changed. */
export type Change = keyof PanelState | "steps";
export type Listener = (changed: ReadonlySet<Change>) => void;

/** Not part of a link: where the slider can stop, derived from the data shown. */
export interface StepView {
  /** Logged steps in the window over the shown tags and runs. */
  steps: readonly number[];
  /** First and last logged step over the shown tags and runs, whatever the window. */
  extent: [number, number];
  /** The step the cells show: the slider's, or the nearest logged one in the window. */
  current: number | null;
  /** The slider follows new steps and sits on the last logged one. */
  latest: boolean;
}

function same(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

export class Store {
  private s: PanelState;
  /** The encoded state last read from or written to the address bar. */
  private written: string;
  private readonly listeners = new Set<Listener>();
  private stepList: readonly number[] = [];
  private extent: [number, number] = [0, 0];

  constructor(private readonly io: StoreIO) {
    this.written = io.read();
    this.s = decodeState(this.written);
  }

  get state(): Readonly<PanelState> {
    return this.s;
  }

  subscribe(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private emit(changed: Set<Change>): void {
    if (!changed.size) return;
    for (const fn of this.listeners) fn(changed);
  }

  private diff(next: PanelState): Set<Change> {
    const changed = new Set<Change>();
    for (const k of Object.keys(next) as (keyof PanelState)[]) if (!same(next[k], this.s[k])) changed.add(k);
    return changed;
  }

  set(patch: Partial<PanelState>, history: HistoryMode = "push"): void {
    const next = { ...this.s, ...patch };
    const changed = this.diff(next);
    if (!changed.size) return;
    this.s = next;
    const encoded = encodeState(next);
    if (encoded !== this.written) {
      this.written = encoded;
      this.io.write(encoded, history);
    }
    this.emit(changed);
  }

  /**
   * The address bar changed under the panel (a pasted link, Back/Forward): adopt what it says
   * without writing it back, so the next interaction starts from the link, not the old view.
   */
  syncFromLocation(): void {
    const text = this.io.read();
    if (text === this.written) return;
    this.written = text;
    const next = decodeState(text);
    const changed = this.diff(next);
    this.s = next;
    this.emit(changed);
  }

  /** The address bar lost the view (TensorBoard rewrote its hash): put it back, in place. */
  rewrite(): void {
    this.written = encodeState(this.s);
    this.io.write(this.written, "replace");
  }

  // ---- the slider ---------------------------------------------------------------------------

  get view(): StepView {
    const last = this.extent[1];
    const target = this.s.step ?? (this.stepList.length && !this.s.zoom ? this.stepList[this.stepList.length - 1] : last);
    const current = snapStep(this.stepList, target);
    return { steps: this.stepList, extent: this.extent, current, latest: this.s.step === null && current !== null && current === last };
  }

  /** Where the slider can stop, after the data or the window changed. */
  setSteps(steps: readonly number[], extent: [number, number]): void {
    this.stepList = steps;
    this.extent = extent;
    this.emit(new Set<Change>(["steps"]));
  }

  /** At the last logged step the slider follows new steps of a running training. */
  stepTo(step: number | null, history: HistoryMode = "replace"): void {
    this.set({ step: step !== null && step >= this.extent[1] ? null : step }, history);
  }

  stepBy(direction: -1 | 1): void {
    const at = this.view.current;
    if (at === null) return;
    const next = stepBeside(this.stepList, at, direction);
    if (next !== null && next !== at) this.stepTo(next);
  }

  /** Home and End: the first or last logged step of the window. */
  stepToEnd(which: "first" | "last"): void {
    if (!this.stepList.length) return;
    this.stepTo(which === "first" ? this.stepList[0] : this.stepList[this.stepList.length - 1]);
  }
}
