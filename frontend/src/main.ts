// Entry point TensorBoard's dynamic plugin loader imports (from /data/plugin/media_panel/static/index.js)
// and calls `render()` on, inside the plugin's iframe.
import { MediaApi, pluginBase } from "./api";
import { Panel } from "./panel/panel";
import type { PanelHost } from "./panel/panel";
import { followTheme } from "./panel/theme";
import { hostDocument, readLocationState, shareableUrl, watchLocation, writeLocationState } from "./state/location";
import controlsCss from "./panel/controls.css?inline";
import css from "./styles.css?inline";

/** How often the panel looks for new runs, tags and steps. */
const POLL_MS = 4000;

export async function render(): Promise<Panel> {
  // TensorBoard's CSP allows inline styles ('unsafe-inline' in style-src), so the stylesheet ships in the bundle.
  const style = document.createElement("style");
  style.textContent = css + controlsCss;
  document.head.append(style);
  followTheme();
  const root = document.createElement("div");
  document.body.append(root);
  const api = new MediaApi(pluginBase(import.meta.url));
  const location: PanelHost = {
    read: () => readLocationState(),
    write: (s, mode) => writeLocationState(s, mode),
    watch: (changed, restore) => watchLocation(changed, restore),
    shareUrl: () => shareableUrl(),
    outerDocument: hostDocument(),
  };
  const panel = new Panel(root, api, { location, pollMs: POLL_MS });
  await panel.start();
  return panel;
}
