// glTF with data: URIs -> GLB, so nothing is fetched: TensorBoard's CSP (connect-src 'self')
// blocks fetch() of data: URIs, which is how GLTFLoader would read embedded buffers.

const GLB_MAGIC = 0x46546c67; // "glTF"
const JSON_CHUNK = 0x4e4f534a;
const BIN_CHUNK = 0x004e4942;

interface GltfJson {
  buffers?: { uri?: string; byteLength: number }[];
  bufferViews?: { buffer: number; byteOffset?: number }[];
  [k: string]: unknown;
}

function decodeDataUri(uri: string): Uint8Array {
  const comma = uri.indexOf(",");
  if (!uri.startsWith("data:") || comma < 0) {
    throw new Error(`the glTF refers to an external file "${uri.slice(0, 80)}"; log a GLB or a glTF with embedded buffers`);
  }
  const header = uri.slice(5, comma);
  const body = uri.slice(comma + 1);
  if (header.endsWith(";base64")) {
    const bin = atob(body);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }
  return new TextEncoder().encode(decodeURIComponent(body));
}

const pad4 = (n: number) => (n + 3) & ~3;

/** True when the bytes are already a binary GLB container. */
export function isGlb(data: ArrayBuffer): boolean {
  return data.byteLength >= 12 && new DataView(data).getUint32(0, true) === GLB_MAGIC;
}

/**
 * A .gltf (JSON) whose buffers are data: URIs, rewritten as one GLB: every buffer is copied into the
 * single BIN chunk (4-byte aligned) and buffer views are re-pointed at it. Images stay as they are
 * (data: images load through <img>, which the CSP allows).
 */
export function embeddedGltfToGlb(data: ArrayBuffer): ArrayBuffer {
  const json = JSON.parse(new TextDecoder().decode(data)) as GltfJson;
  const buffers = json.buffers ?? [];
  const parts = buffers.map((b) => {
    if (b.uri === undefined) throw new Error("a glTF buffer without a uri is only valid inside a GLB");
    return decodeDataUri(b.uri);
  });
  const offsets: number[] = [];
  let total = 0;
  for (const p of parts) {
    offsets.push(total);
    total = pad4(total + p.length);
  }
  const bin = new Uint8Array(total);
  parts.forEach((p, i) => bin.set(p, offsets[i]));
  for (const view of json.bufferViews ?? []) {
    view.byteOffset = (view.byteOffset ?? 0) + offsets[view.buffer];
    view.buffer = 0;
  }
  json.buffers = parts.length ? [{ byteLength: total }] : [];
  const text = new TextEncoder().encode(JSON.stringify(json));
  const jsonLen = pad4(text.length);
  const size = 12 + 8 + jsonLen + (parts.length ? 8 + total : 0);
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, GLB_MAGIC, true);
  dv.setUint32(4, 2, true);
  dv.setUint32(8, size, true);
  dv.setUint32(12, jsonLen, true);
  dv.setUint32(16, JSON_CHUNK, true);
  out.set(text, 20);
  out.fill(0x20, 20 + text.length, 20 + jsonLen); // JSON chunk pads with spaces
  if (parts.length) {
    const at = 20 + jsonLen;
    dv.setUint32(at, total, true);
    dv.setUint32(at + 4, BIN_CHUNK, true);
    out.set(bin, at + 8);
  }
  return out.buffer;
}
