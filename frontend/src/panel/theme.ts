// Follows TensorBoard's dark mode. TensorBoard marks its page's body with `dark-mode` (set from
// its settings, or from the browser's `prefers-color-scheme` when left at the default); the
// panel's frame is same-origin, so it watches that class. Outside TensorBoard, the browser's
// preference decides. styles.css swaps its colour variables under `.mp-dark`.

function outerBody(): HTMLElement | null {
  try {
    return window.parent !== window ? window.parent.document.body : null;
  } catch {
    return null; // a cross-origin parent: not TensorBoard's page
  }
}

export function followTheme(doc: Document = document): void {
  const body = outerBody();
  const media = window.matchMedia?.("(prefers-color-scheme: dark)");
  const apply = () => {
    const dark = body ? body.classList.contains("dark-mode") : media?.matches ?? false;
    doc.documentElement.classList.toggle("mp-dark", dark);
  };
  if (body) new MutationObserver(apply).observe(body, { attributes: true, attributeFilter: ["class"] });
  else media?.addEventListener("change", apply);
  apply();
}
