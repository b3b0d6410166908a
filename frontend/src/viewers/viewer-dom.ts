// Small DOM helpers shared by the rich viewers (logged strings always go in via textContent).

// One DOM builder for the panel and the viewers: text goes in through textContent and
// displayText, so a logged name can never be parsed as HTML nor pose as another.
import { h } from "../panel/dom";

export { displayText, h } from "../panel/dom";

/**
 * A text summary's own characters, as TensorBoard's text dashboard shows them: prose in any
 * script keeps its joiners and direction marks. Names, captions and labels, which could pose as
 * others, go through `h`'s displayText instead.
 */
export function prose(text: string): Text {
  return document.createTextNode(text);
}

/** Insert a stylesheet once per document; viewers are lazy modules, so they bring their own CSS. */
export function ensureStyle(id: string, css: string): void {
  if (document.getElementById(id)) return;
  const style = document.createElement("style");
  style.id = id;
  style.textContent = css;
  document.head.append(style);
}

/** A labelled checkbox calling back with its new state. */
export function checkbox(text: string, checked: boolean, onChange: (on: boolean) => void): HTMLLabelElement {
  const cb = h("input", { type: "checkbox" });
  cb.checked = checked;
  cb.addEventListener("change", () => onChange(cb.checked));
  return h("label", {}, cb, text);
}

/**
 * A menu row's name that is not inside its checkbox's label (a colour swatch sits between):
 * it names the checkbox for assistive technology and toggles it on a click, as a label would.
 */
export function labelToggles(box: HTMLLabelElement, name: HTMLElement, text: string): void {
  const input = box.querySelector("input");
  if (!input) return;
  input.setAttribute("aria-label", text);
  name.style.cursor = "pointer";
  name.addEventListener("click", () => input.click());
}

/** The number key that toggles a class (keys 1–9 over the card). */
export function keyHint(n: number): HTMLElement {
  return h("kbd", { class: "vc-key", text: String(n), title: `Key ${n} shows or hides this class (pointer over the card)` });
}
