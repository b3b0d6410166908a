// Small DOM helpers shared by the rich viewers (logged strings always go in via textContent).

/** Create an element with plain attributes; never takes HTML. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") el.className = v;
    else el.setAttribute(k, v);
  }
  return el;
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
  const label = h("label");
  const cb = h("input", { type: "checkbox" });
  cb.checked = checked;
  cb.addEventListener("change", () => onChange(cb.checked));
  label.append(cb);
  if (text) label.append(document.createTextNode(text));
  return label;
}
