"""An HTML report per run, with a script: the run's hyper-parameters and latest metrics in a
table, and a canvas on which a script draws a loss curve, with buttons to pick the curve and
switch to a log scale. Logged at every logged step with the history up to that step."""

from __future__ import annotations

import html
import json

import tb_media_panel as mp
from tb_media_panel.demo.config import DemoConfig, MediaSink, Metrics, RunConfig

HYPER_PARAMETERS = {
    "digits VAE": "Adam, lr",
    "segmentation": "Adam, lr, gradients clipped to norm 1",
    "point-cloud MLP": "Adam, lr",
    "protein backbone angles": "Adam, 2.5 x lr",
    "mesh fit": "Adam, 3 x lr",
    "maze agent": "Q-learning, alpha = 50 x lr, gamma 0.95, epsilon 0.2",
    "synthesiser": "Adam, 0.2 x lr",
}

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>{title}</title>
<style>
 body {{ font: 12px system-ui, sans-serif; margin: 8px; color: #222; }}
 .title {{ font-weight: 600; margin-bottom: 6px; }}
 table {{ border-collapse: collapse; margin-bottom: 10px; }}
 td, th {{ border: 1px solid #ccc; padding: 3px 8px; text-align: left; }}
 th {{ background: #f3f3f3; }}
 button {{ margin: 2px; }} button.on {{ background: #ff9800; color: #fff; }}
 canvas {{ border: 1px solid #ddd; display: block; margin-top: 6px; }}
</style></head>
<body>
<div class="title">{title}</div>
<table><tr><th>metric</th><th>latest</th></tr>{metric_rows}</table>
<div id="buttons"></div>
<label><input type="checkbox" id="log"> log scale</label>
<canvas id="chart" width="420" height="180"></canvas>
<table><tr><th>model</th><th>optimiser</th></tr>{hyper_rows}</table>
<script>
const SERIES = {series_json};
const canvas = document.getElementById("chart");
const ctx = canvas.getContext("2d");
let current = Object.keys(SERIES)[0];
function draw() {{
  const points = SERIES[current] || [];
  const useLog = document.getElementById("log").checked;
  const f = v => (useLog ? Math.log10(Math.max(v, 1e-6)) : v);
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  if (points.length < 2) return;
  const xs = points.map(p => p[0]), ys = points.map(p => f(p[1]));
  const x0 = Math.min(...xs), x1 = Math.max(...xs), y0 = Math.min(...ys), y1 = Math.max(...ys);
  const X = x => 30 + (x - x0) / ((x1 - x0) || 1) * (canvas.width - 40);
  const Y = y => canvas.height - 20 - (y - y0) / ((y1 - y0) || 1) * (canvas.height - 35);
  ctx.strokeStyle = "#999"; ctx.beginPath();
  ctx.moveTo(30, 10); ctx.lineTo(30, canvas.height - 20); ctx.lineTo(canvas.width - 10, canvas.height - 20);
  ctx.stroke();
  ctx.strokeStyle = "#e65100"; ctx.lineWidth = 2; ctx.beginPath();
  points.forEach((p, i) => (i ? ctx.lineTo : ctx.moveTo).call(ctx, X(p[0]), Y(f(p[1]))));
  ctx.stroke();
  ctx.fillStyle = "#333";
  ctx.fillText(current + (useLog ? " (log10)" : ""), 36, 14);
  ctx.fillText("step " + x1, canvas.width - 70, canvas.height - 6);
}}
for (const name of Object.keys(SERIES)) {{
  const b = document.createElement("button");
  b.textContent = name;
  b.onclick = () => {{ current = name; render(); }};
  document.getElementById("buttons").appendChild(b);
}}
function render() {{
  for (const b of document.querySelectorAll("#buttons button")) {{
    b.className = b.textContent === current ? "on" : "";
  }}
  draw();
}}
document.getElementById("log").onchange = render;
render();
</script>
</body></html>
"""


def page(run: RunConfig, metrics: Metrics, step: int) -> str:
    """The report as the run stood at `step`: only metrics logged up to then."""
    series = {
        tag: [(s, round(v, 6)) for s, v in values if s <= step]
        for tag, values in sorted(metrics.series.items())
    }
    series = {tag: values for tag, values in series.items() if values}
    hyper_rows = "".join(
        f"<tr><td>{html.escape(model)}</td><td>{html.escape(how)}</td></tr>"
        for model, how in HYPER_PARAMETERS.items()
    )
    metric_rows = "".join(
        f"<tr><td>{html.escape(tag)}</td><td>{values[-1][1]:.4g}</td></tr>" for tag, values in series.items()
    )
    return PAGE.format(
        title=html.escape(f"{run.name} · seed {run.seed} · step {step}"),
        hyper_rows=hyper_rows,
        metric_rows=metric_rows,
        # "</" would end the script element early; JSON allows the escaped form.
        series_json=json.dumps(series).replace("</", "<\\/"),
    )


def log(w: MediaSink, run: RunConfig, cfg: DemoConfig, metrics: Metrics) -> None:
    for step in cfg.logged_steps():
        w.add("report/summary", mp.Html(page(run, metrics, step), caption=f"report at step {step}"), step)
