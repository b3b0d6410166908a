// Audio viewer: play/pause, a waveform (min/max per pixel column) with a playhead, click to seek,
// a spectrogram view (short-time FFT, log magnitude), and download of the original file.
import { h } from "./viewer-dom";
import type { ItemMeta, ItemRef } from "../api-types";
import { colormapLut, lutIndex } from "./colormap";
import { downloadLink } from "./image";
import { downloadName } from "./events";
import { setIcon } from "./icons";
import type { Viewer, ViewerContext, ViewerInstance } from "./types";

/** Min and max sample per column: the classic waveform envelope, exact at any zoom. */
export function waveformEnvelope(samples: Float32Array, columns: number): { min: Float32Array; max: Float32Array } {
  const min = new Float32Array(columns);
  const max = new Float32Array(columns);
  const per = samples.length / columns;
  for (let c = 0; c < columns; c++) {
    const a = Math.floor(c * per);
    const b = Math.max(a + 1, Math.floor((c + 1) * per));
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = a; i < b && i < samples.length; i++) {
      const v = samples[i];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    min[c] = lo === Infinity ? 0 : lo;
    max[c] = hi === -Infinity ? 0 : hi;
  }
  return { min, max };
}

/** In-place radix-2 FFT; `re.length` must be a power of two. */
export function fft(re: Float32Array, im: Float32Array): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j], re[i]];
      [im[i], im[j]] = [im[j], im[i]];
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const ang = (-2 * Math.PI) / len;
    for (let i = 0; i < n; i += len) {
      for (let k = 0; k < len / 2; k++) {
        const wr = Math.cos(ang * k);
        const wi = Math.sin(ang * k);
        const ur = re[i + k];
        const ui = im[i + k];
        const vr = re[i + k + len / 2] * wr - im[i + k + len / 2] * wi;
        const vi = re[i + k + len / 2] * wi + im[i + k + len / 2] * wr;
        re[i + k] = ur + vr;
        im[i + k] = ui + vi;
        re[i + k + len / 2] = ur - vr;
        im[i + k + len / 2] = ui - vi;
      }
    }
  }
}

/** Magnitudes in dB, `frames` columns × `size/2` bins (row-major by frame), Hann-windowed. */
export function spectrogram(samples: Float32Array, size: number, frames: number): Float32Array {
  const bins = size / 2;
  const out = new Float32Array(frames * bins);
  const re = new Float32Array(size);
  const im = new Float32Array(size);
  const hop = Math.max(1, (samples.length - size) / Math.max(1, frames - 1));
  for (let f = 0; f < frames; f++) {
    const start = Math.floor(f * hop);
    for (let i = 0; i < size; i++) {
      const w = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (size - 1));
      re[i] = (samples[start + i] ?? 0) * w;
      im[i] = 0;
    }
    fft(re, im);
    for (let b = 0; b < bins; b++) out[f * bins + b] = 10 * Math.log10(re[b] * re[b] + im[b] * im[b] + 1e-10);
  }
  return out;
}

async function decode(bytes: ArrayBuffer, sampleRate: number): Promise<AudioBuffer> {
  // An OfflineAudioContext decodes without a user gesture and never opens an audio device.
  const ctx = new OfflineAudioContext(1, 1, sampleRate > 0 ? sampleRate : 44100);
  return ctx.decodeAudioData(bytes);
}

function mono(buf: AudioBuffer): Float32Array {
  if (buf.numberOfChannels === 1) return buf.getChannelData(0);
  const out = new Float32Array(buf.length);
  for (let c = 0; c < buf.numberOfChannels; c++) {
    const ch = buf.getChannelData(c);
    for (let i = 0; i < ch.length; i++) out[i] += ch[i] / buf.numberOfChannels;
  }
  return out;
}

function drawWave(canvas: HTMLCanvasElement, samples: Float32Array, progress: number): void {
  const g = canvas.getContext("2d");
  if (!g) return;
  const { width, height } = canvas;
  g.clearRect(0, 0, width, height);
  g.fillStyle = "#f5f5f5";
  g.fillRect(0, 0, width, height);
  const env = waveformEnvelope(samples, width);
  const mid = height / 2;
  const played = Math.round(progress * width);
  for (let x = 0; x < width; x++) {
    g.fillStyle = x < played ? "#e65100" : "#1976d2";
    const top = mid - Math.max(env.max[x], 0) * mid * 0.95;
    const bottom = mid - Math.min(env.min[x], 0) * mid * 0.95;
    g.fillRect(x, top, 1, Math.max(1, bottom - top));
  }
  g.fillStyle = "#00000055";
  g.fillRect(played, 0, 1, height);
}

function drawSpectrogram(canvas: HTMLCanvasElement, samples: Float32Array, progress: number): void {
  const g = canvas.getContext("2d");
  if (!g) return;
  const { width, height } = canvas;
  const size = 512;
  const bins = size / 2;
  const frames = Math.max(1, Math.min(width, 400));
  const spec = spectrogram(samples, size, frames);
  let hi = -Infinity;
  for (const v of spec) hi = Math.max(hi, v);
  const lo = hi - 80;
  const img = g.createImageData(frames, bins);
  // Magma for dB: dark for silence, bright for loud.
  const lut = colormapLut("magma");
  for (let f = 0; f < frames; f++) {
    for (let b = 0; b < bins; b++) {
      const k = lutIndex(spec[f * bins + b], lo, hi) * 4;
      img.data.set(lut.subarray(k, k + 4), ((bins - 1 - b) * frames + f) * 4); // low frequencies at the bottom
    }
  }
  const tmp = document.createElement("canvas");
  tmp.width = frames;
  tmp.height = bins;
  tmp.getContext("2d")?.putImageData(img, 0, 0);
  g.imageSmoothingEnabled = true;
  g.drawImage(tmp, 0, 0, width, height);
  g.fillStyle = "#ffffffaa";
  g.fillRect(Math.round(progress * width), 0, 1, height);
}

function clock(seconds: number): string {
  const s = Math.max(0, seconds);
  return `${Math.floor(s / 60)}:${(s % 60).toFixed(1).padStart(4, "0")}`;
}

export const viewer: Viewer = {
  async mount(host: HTMLElement, ref: ItemRef, meta: ItemMeta, ctx: ViewerContext): Promise<ViewerInstance> {
    const url = ctx.source.dataUrl(ref);
    const buffer = await decode(await ctx.source.fetchData(ref, ctx.signal), meta.sample_rate);
    const samples = mono(buffer);
    const root = h("div", { class: "mp-viewer mp-audio-viewer" });
    const canvas = h("canvas", { class: "mp-wave" });
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", "Waveform; click to seek");
    const audio = h("audio", { class: "mp-audio" });
    audio.preload = "none";
    audio.src = url;
    const bar = h("div", { class: "mp-media-bar" });
    const play = h("button", { class: "mp-tool mp-play" });
    setIcon(play, "play", 14);
    play.setAttribute("aria-label", "Play");
    const time = h("span", { class: "mp-media-time", text: clock(buffer.duration) });
    time.title = "Position / duration";
    const specBtn = h("button", { class: "mp-tool mp-spec-toggle", text: "FFT" });
    specBtn.title = "Show the spectrogram";
    specBtn.setAttribute("aria-pressed", "false");
    bar.append(play, time, specBtn, downloadLink(ctx.source.downloadUrl(ref), downloadName(ref, meta.format || "wav")));
    root.append(canvas, bar, audio);
    if (meta.caption) root.append(h("div", { class: "mp-caption", text: meta.caption }));
    host.append(root);

    let showSpec = false;
    let raf = 0;
    const draw = () => {
      const r = canvas.getBoundingClientRect();
      const w = Math.max(16, Math.round(r.width));
      const hh = Math.max(16, Math.round(r.height));
      if (canvas.width !== w || canvas.height !== hh) {
        canvas.width = w;
        canvas.height = hh;
      }
      const p = buffer.duration ? audio.currentTime / buffer.duration : 0;
      if (showSpec) drawSpectrogram(canvas, samples, p);
      else drawWave(canvas, samples, p);
      time.textContent = audio.currentTime > 0 ? clock(audio.currentTime) : clock(buffer.duration);
    };
    const tick = () => {
      draw();
      raf = audio.paused ? 0 : requestAnimationFrame(tick);
    };
    draw();
    // Mounted while hidden, then swapped in: draw again whenever the canvas gets its real size.
    const observer = new ResizeObserver(() => draw());
    observer.observe(canvas);
    audio.addEventListener("play", () => {
      setIcon(play, "pause", 14);
      play.setAttribute("aria-label", "Pause");
      if (!raf) raf = requestAnimationFrame(tick);
    });
    audio.addEventListener("pause", () => {
      setIcon(play, "play", 14);
      play.setAttribute("aria-label", "Play");
      draw();
    });
    audio.addEventListener("ended", draw);
    play.addEventListener("click", () => { if (audio.paused) void audio.play(); else audio.pause(); });
    canvas.addEventListener("click", (e) => {
      const r = canvas.getBoundingClientRect();
      audio.currentTime = ((e.clientX - r.left) / r.width) * buffer.duration;
      draw();
    });
    specBtn.addEventListener("click", () => {
      showSpec = !showSpec;
      specBtn.classList.toggle("on", showSpec);
      specBtn.setAttribute("aria-pressed", String(showSpec));
      canvas.setAttribute("aria-label", showSpec ? "Spectrogram; click to seek" : "Waveform; click to seek");
      draw();
    });
    return {
      resize() { draw(); },
      destroy() {
        cancelAnimationFrame(raf);
        observer.disconnect();
        audio.pause();
        audio.removeAttribute("src");
        root.remove();
      },
    };
  },
};
