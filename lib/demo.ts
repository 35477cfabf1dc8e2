/// <reference lib="dom" />
/**
 * The live demo's page (`npm run demo`, lib/cli/demo.ts serves it): the paper's CNN on a face from the webcam, an image
 * file or a drawn sample face, with its 7 class probabilities and the Grad-CAM map of the predicted class.
 *
 * This file runs in the browser, bundled by esbuild with the very modules the notebooks and tests use: the
 * preprocessing is lib/data.ts' {@link toModelInput} (the step after decoding: RGB bytes → floats in [0, 1]), the model
 * is read through tfjs as every command reads it, and the probabilities and the map are lib/explain.ts'
 * {@link probabilities}, {@link gradCam} and {@link overlay}. Only decoding differs, as it must: sharp in node, a
 * canvas here. The pure helpers (the guide box, the face check, the bar chart, the drawn faces) are exported and tested
 * in node (test/demo.test.ts); the page itself is tested in Debian's chromium through Playwright.
 */
import { tf, type LayersModel, type Tensor4D } from "./tf";
import { CLASSES, PAPER } from "./config";
import { toModelInput } from "./data";
import { gradCam, overlay, probabilities } from "./explain";
import type { Picture } from "./display";

// ---------------------------------------------------------------------------------------------------------------
// Pure helpers (no DOM): tested in node
// ---------------------------------------------------------------------------------------------------------------

/** A square in source pixels: the guide box whose content the model sees. */
export interface Box {
  x: number;
  y: number;
  side: number;
}

/**
 * The guide box: the centred square whose side is `fraction` of the source's shorter side, in whole pixels. With
 * fraction 1 on a square image it is the whole image, so a 48×48 CK+48 face reaches the model pixel for pixel.
 */
export function guideBox(width: number, height: number, fraction: number): Box {
  const side = Math.max(1, Math.round(Math.min(width, height) * Math.min(1, Math.max(0, fraction))));
  return { x: Math.floor((width - side) / 2), y: Math.floor((height - side) / 2), side };
}

/**
 * The check that stands in for a face detector, which the project does not have: the crop must not be tiny, and must
 * not be nearly uniform. It cannot tell a face from a textured wall, so the page asks the user to fill the box with a
 * face; it only refuses what is certainly not one (a blank image, a covered or dark camera, a few pixels blown up).
 */
export const FACE_CHECK = {
  /**
   * The smallest crop side, in source pixels: below half the model's side, upscaling would invent most of the
   * detail the model reads.
   */
  minSide: Math.ceil(PAPER.imageSize / 2),
  /**
   * The smallest standard deviation of the crop's grey values (in [0, 1]): 0.04 is about 10 grey levels. The 981
   * CK+48 faces have at least 0.11 (0.1195; test/demo.test.ts computes it), nearly three times more.
   */
  minStd: 0.04,
} as const;

/** Mean and standard deviation of the grey values of a model input (RGB, side × side × 3, the first channel). */
export function greyStats(input: ArrayLike<number>): { mean: number; std: number } {
  const n = Math.floor(input.length / 3);
  let s = 0;
  let s2 = 0;
  for (let p = 0; p < n; p++) {
    const v = input[p * 3];
    s += v;
    s2 += v * v;
  }
  const mean = s / n;
  return { mean, std: Math.sqrt(Math.max(0, s2 / n - mean * mean)) };
}

/**
 * Why a crop is refused ({@link FACE_CHECK}), in a sentence for the page, or null when it may be a face. `cropSide` is
 * the guide box's side in source pixels; `input` the model input made from it.
 */
export function faceProblem(input: ArrayLike<number>, cropSide: number): string | null {
  if (cropSide < FACE_CHECK.minSide) {
    return `No clear face: the box holds only ${cropSide}×${cropSide} pixels of the image (at least ${FACE_CHECK.minSide}×${FACE_CHECK.minSide} needed). Use a larger image or a larger box.`;
  }
  const { std } = greyStats(input);
  if (std < FACE_CHECK.minStd) {
    return `No clear face: the box is nearly uniform (grey-level spread ${std.toFixed(3)}, below ${FACE_CHECK.minStd}; faces in the training data have at least 0.11). Put a face in the box.`;
  }
  return null;
}

/** Index of the largest value (the first one on ties). */
export function argmax(xs: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i] > xs[best]) best = i;
  return best;
}

/** The median of a list of numbers (NaN for none). */
export function median(xs: number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * A picture in [0, 1] (grey or RGB) as the RGBA bytes of a canvas ImageData: rounded and clamped as lib/display.ts'
 * toBytes does for PNGs, with opaque alpha.
 */
export function pictureRgba(p: Picture): Uint8ClampedArray {
  const n = p.width * p.height;
  const out = new Uint8ClampedArray(n * 4);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++)
      out[i * 4 + c] = Math.round(Math.min(1, Math.max(0, p.data[i * p.channels + (p.channels === 3 ? c : 0)])) * 255);
    out[i * 4 + 3] = 255;
  }
  return out;
}

/**
 * The 7 class probabilities as an SVG bar chart (one row per class, in the paper's order, the predicted one
 * highlighted). Plain SVG rather than the project's vega-lite: vega in the page would add about a megabyte and a
 * renderer to redraw 30 times a second what is seven rectangles and seven labels.
 */
export function barChartSvg(probs: ArrayLike<number> | null, classes: readonly string[] = CLASSES): string {
  const rowH = 30;
  const labelW = 92;
  const barW = 250;
  const w = labelW + barW + 64;
  const h = classes.length * rowH;
  const best = probs ? argmax(probs) : -1;
  const rows = classes.map((c, i) => {
    const p = probs ? probs[i] : 0;
    const y = i * rowH;
    const cls = i === best ? "bar best" : "bar";
    const text = probs ? `${(100 * p).toFixed(1)}%` : "–";
    return (
      `<g class="${cls}" data-class="${c}" data-p="${probs ? p : ""}">` +
      `<text x="${labelW - 8}" y="${y + rowH / 2}" text-anchor="end" dominant-baseline="central">${c}</text>` +
      `<rect class="track" x="${labelW}" y="${y + 6}" width="${barW}" height="${rowH - 12}" rx="4"/>` +
      `<rect class="fill" x="${labelW}" y="${y + 6}" width="${(barW * Math.min(1, Math.max(0, p))).toFixed(2)}" height="${rowH - 12}" rx="4"/>` +
      `<text class="value" x="${labelW + barW + 8}" y="${y + rowH / 2}" dominant-baseline="central">${text}</text>` +
      `</g>`
    );
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="class probabilities">${rows.join("")}</svg>`;
}

/** The drawn sample faces' expressions. */
export const SAMPLE_EXPRESSIONS = ["smiling", "surprised", "frowning"] as const;
/** One of {@link SAMPLE_EXPRESSIONS}. */
export type SampleExpression = (typeof SAMPLE_EXPRESSIONS)[number];

/**
 * A drawn grey face as SVG text: the page's sample faces and the test's fake webcam clip and screenshot. Synthetic on
 * purpose: CK+48's licence forbids redistributing its faces, so the page ships none. A drawing is even further from
 * the training faces than a webcam picture: it shows the pipeline, not the model's skill.
 */
export function syntheticFaceSvg(expression: SampleExpression, size = 240): string {
  const brow = { smiling: 0, surprised: -9, frowning: 5 }[expression];
  const tilt = { smiling: 0, surprised: -3, frowning: 6 }[expression];
  const eyeH = { smiling: 7, surprised: 11, frowning: 7 }[expression];
  const mouth =
    expression === "smiling"
      ? `<path d="M86 158 Q120 196 154 158 Q120 176 86 158 Z" fill="#3a3a3a"/><path d="M92 161 Q120 172 148 161" stroke="#eee" stroke-width="5" fill="none"/>`
      : expression === "surprised"
        ? `<ellipse cx="120" cy="168" rx="15" ry="21" fill="#2c2c2c"/>`
        : `<path d="M90 176 Q120 154 150 176" stroke="#3a3a3a" stroke-width="7" fill="none" stroke-linecap="round"/>`;
  const eye = (cx: number) =>
    `<ellipse cx="${cx}" cy="104" rx="14" ry="${eyeH}" fill="#f4f4f4"/><circle cx="${cx}" cy="104" r="6.5" fill="#222"/>`;
  const browPath = (cx: number, dir: number) =>
    `<path d="M${cx - 19} ${84 + brow + dir * tilt} Q${cx} ${74 + brow} ${cx + 19} ${84 + brow - dir * tilt}" stroke="#444" stroke-width="6" fill="none" stroke-linecap="round"/>`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 240 240">` +
    `<defs><radialGradient id="skin" cx="0.45" cy="0.4" r="0.65"><stop offset="0" stop-color="#d9d9d9"/><stop offset="1" stop-color="#8c8c8c"/></radialGradient></defs>` +
    `<rect width="240" height="240" fill="#5a5a5a"/>` +
    `<ellipse cx="120" cy="124" rx="84" ry="104" fill="url(#skin)"/>` +
    `<path d="M40 96 Q48 18 120 18 Q192 18 200 96 Q184 50 120 46 Q56 50 40 96 Z" fill="#3d3d3d"/>` +
    eye(88) +
    eye(152) +
    browPath(88, 1) +
    browPath(152, -1) +
    `<path d="M120 110 L110 140 Q120 146 130 140" stroke="#777" stroke-width="4" fill="none" stroke-linecap="round"/>` +
    mouth +
    `</svg>`
  );
}

/** What the server tells the page (lib/cli/demo.ts demoFacts): the data and study numbers of the caveat. */
export interface DemoFacts {
  /** The model folder, as the command line showed it. */
  model: string;
  /** Images and people in CK+48 (data/manifest.csv). */
  images: number;
  subjects: number;
  /** The committed study's test accuracy over seeds on the paper's random split and on unseen people, if present. */
  random?: { mean: number; lo: number; hi: number; seeds: number };
  subject?: { mean: number; lo: number; hi: number; seeds: number };
}

/** The caveat shown under the demo, as HTML (numbers from {@link DemoFacts}; `notebook` is the study notebook's link). */
export function caveatHtml(f: DemoFacts, notebook = "notebooks/06-study.ipynb"): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const study =
    f.subject && f.random
      ? ` Even on people it never saw from that same lab, the model is right ${pct(f.subject.mean)} of the time (95% interval ${pct(f.subject.lo)}–${pct(f.subject.hi)}, ${f.subject.seeds} seeds), against ${pct(f.random.mean)} on the paper's random split, where a test face's sibling frames are in training: see the subject-independent numbers in <a href="${notebook}">${notebook}</a>.`
      : ` See the subject-independent numbers in <a href="${notebook}">${notebook}</a>.`;
  return (
    `<strong>Read this before trusting a bar.</strong> The model was trained on ${f.images} posed faces of ${f.subjects} people, photographed in a lab (CK+48: grey, frontal, posed expressions). ` +
    `A face from a webcam, in other light, pose or ethnicity, is far from that, and so is a drawing: treat what you see as a demonstration of the method, not a reading of emotions.` +
    study +
    ` There is no face detector: the box must hold a face, centred and filling it; the page only refuses a box that is nearly uniform or too small.`
  );
}

// ---------------------------------------------------------------------------------------------------------------
// One prediction: the same code as the notebooks and `npm run explain`
// ---------------------------------------------------------------------------------------------------------------

/** One prediction of the page: the class probabilities, the Grad-CAM overlay and how long each took. */
export interface Prediction {
  probabilities: number[];
  predicted: number;
  /** lib/explain overlay of the predicted class' Grad-CAM over the input. */
  overlay: Picture;
  /** Milliseconds of the forward pass (data read back included) and of Grad-CAM. */
  msPredict: number;
  msCam: number;
}

/**
 * Predict one model input (side × side × 3 in [0, 1]) and explain the predicted class with Grad-CAM, timing each step
 * (both read their results back, so the time includes the GPU's work on webgl).
 */
export function predictInput(
  model: LayersModel,
  input: Float32Array,
  side: number = PAPER.imageSize,
  now: () => number = () => performance.now(),
): Prediction {
  const x = tf.tensor4d(input, [1, side, side, 3]) as Tensor4D;
  try {
    const t0 = now();
    const probs = probabilities(model, x)[0];
    const t1 = now();
    const predicted = argmax(probs);
    const cam = gradCam(model, x, [predicted])[0];
    const t2 = now();
    return { probabilities: probs, predicted, overlay: overlay(input, cam, side), msPredict: t1 - t0, msCam: t2 - t1 };
  } finally {
    x.dispose();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The page (browser only)
// ---------------------------------------------------------------------------------------------------------------

/** The source the guide box is cut from. */
interface Source {
  kind: "camera" | "image";
  el: CanvasImageSource;
  width: number;
  height: number;
}

/** A message on the page: an error, a warning (e.g. no clear face) or a note. Never console-only. */
type MessageKind = "error" | "warning" | "info";

const SIDE = PAPER.imageSize;
/** The stage's largest height on the page, in CSS pixels. */
const STAGE_HEIGHT = 440;
/** Timings kept for the medians shown on the page. */
const KEEP_TIMES = 20;

function byId<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the page has no #${id}`);
  return el as T;
}

/** Everything the page holds between frames. */
class DemoPage {
  model: LayersModel | null = null;
  source: Source | null = null;
  stream: MediaStream | null = null;
  fraction = { camera: 0.6, image: 1 };
  frames = 0;
  busy = false;
  timesPredict: number[] = [];
  timesCam: number[] = [];
  readonly stage = byId<HTMLCanvasElement>("stage");
  readonly crop = document.createElement("canvas");
  readonly input = byId<HTMLCanvasElement>("input");
  readonly cam = byId<HTMLCanvasElement>("cam");
  readonly result = byId<HTMLElement>("result");
  readonly video = byId<HTMLVideoElement>("video");

  constructor() {
    this.crop.width = this.crop.height = SIDE;
    this.input.width = this.input.height = this.cam.width = this.cam.height = SIDE;
  }

  message(kind: MessageKind | null, text = ""): void {
    const m = byId("message");
    m.textContent = text;
    m.hidden = !kind;
    m.dataset.kind = kind ?? "";
  }

  status(text: string): void {
    byId("status").textContent = text;
  }

  /**
   * Draw the source and its guide box on the stage, fitted to the page (small images enlarged with square pixels);
   * returns the box in source pixels.
   */
  drawStage(): Box | null {
    const s = this.source;
    if (!s) return null;
    const maxW = Math.max(160, (this.stage.parentElement?.clientWidth ?? 640) - 8);
    const scale = Math.min(maxW / s.width, STAGE_HEIGHT / s.height);
    const w = Math.max(1, Math.round(s.width * scale));
    const h = Math.max(1, Math.round(s.height * scale));
    if (this.stage.width !== w || this.stage.height !== h) {
      this.stage.width = w;
      this.stage.height = h;
    }
    const ctx = this.stage.getContext("2d")!;
    ctx.imageSmoothingEnabled = Math.min(s.width, s.height) >= 128; // small images enlarged with square pixels
    ctx.drawImage(s.el, 0, 0, w, h);
    const box = guideBox(s.width, s.height, this.fraction[s.kind]);
    const [bx, by, bs] = [box.x * scale, box.y * scale, box.side * scale];
    ctx.save();
    ctx.fillStyle = "rgba(10, 14, 24, 0.55)";
    ctx.beginPath();
    ctx.rect(0, 0, w, h);
    ctx.rect(bx, by, bs, bs);
    ctx.fill("evenodd");
    ctx.strokeStyle = "#ffcf4a";
    ctx.lineWidth = 3;
    ctx.strokeRect(bx + 1.5, by + 1.5, bs - 3, bs - 3);
    ctx.restore();
    return box;
  }

  /** The model input of the box: drawn at 48×48 (the browser's high-quality downscale), then lib/data's toModelInput, grey. */
  cut(box: Box): Float32Array {
    const ctx = this.crop.getContext("2d", { willReadFrequently: true })!;
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = "high";
    ctx.clearRect(0, 0, SIDE, SIDE);
    ctx.drawImage(this.source!.el, box.x, box.y, box.side, box.side, 0, 0, SIDE, SIDE);
    return toModelInput(ctx.getImageData(0, 0, SIDE, SIDE).data, 4, true);
  }

  show(canvas: HTMLCanvasElement, p: Picture | null): void {
    const ctx = canvas.getContext("2d")!;
    if (!p) {
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      return;
    }
    const img = ctx.createImageData(p.width, p.height);
    img.data.set(pictureRgba(p));
    ctx.putImageData(img, 0, 0);
  }

  /** One frame: stage, box, crop, check, prediction, chart. */
  step(): void {
    if (!this.model || !this.source || this.busy) return;
    this.busy = true;
    try {
      const box = this.drawStage()!;
      const input = this.cut(box);
      this.show(this.input, { data: input, width: SIDE, height: SIDE, channels: 3 });
      const problem = faceProblem(input, box.side);
      const r = this.result;
      if (problem) {
        this.show(this.cam, null);
        byId("chart").innerHTML = barChartSvg(null);
        byId("cam-label").textContent = "Grad-CAM";
        r.dataset.state = "rejected";
        delete r.dataset.probabilities;
        delete r.dataset.predicted;
        this.message("warning", problem);
        return;
      }
      const p = predictInput(this.model, input);
      this.frames++;
      this.timesPredict = [...this.timesPredict, p.msPredict].slice(-KEEP_TIMES);
      this.timesCam = [...this.timesCam, p.msCam].slice(-KEEP_TIMES);
      this.show(this.cam, p.overlay);
      byId("chart").innerHTML = barChartSvg(p.probabilities);
      const name = CLASSES[p.predicted];
      byId("cam-label").textContent = `Grad-CAM of “${name}”`;
      byId("verdict").textContent = `${name} ${(100 * p.probabilities[p.predicted]).toFixed(1)}%`;
      const mp = median(this.timesPredict);
      const mc = median(this.timesCam);
      byId("timing").textContent =
        `prediction ${p.msPredict.toFixed(1)} ms, Grad-CAM ${p.msCam.toFixed(1)} ms (median of the last ${this.timesPredict.length}: ${mp.toFixed(1)} + ${mc.toFixed(1)} ms)`;
      Object.assign(r.dataset, {
        state: "ok",
        probabilities: JSON.stringify(p.probabilities),
        predicted: name,
        frames: String(this.frames),
        msPredict: String(p.msPredict),
        msCam: String(p.msCam),
        tensors: String(tf.memory().numTensors),
      });
      if (byId("message").dataset.kind === "warning") this.message(null);
    } catch (e) {
      this.fail("The prediction failed", e);
    } finally {
      this.busy = false;
    }
  }

  fail(what: string, e: unknown): void {
    this.result.dataset.state = "error";
    this.message("error", `${what}: ${(e as Error)?.message ?? String(e)}`);
  }

  stopCamera(): void {
    this.stream?.getTracks().forEach((t) => t.stop());
    this.stream = null;
    this.video.srcObject = null;
    byId<HTMLButtonElement>("stop").disabled = true;
    if (this.source?.kind === "camera") this.source = null;
  }

  async startCamera(): Promise<void> {
    this.message("info", "Asking for the camera…");
    if (!navigator.mediaDevices?.getUserMedia) {
      this.message(
        "error",
        `This browser gives no camera to this page (${window.isSecureContext ? "no camera API" : "not a secure page"}): open the demo at http://127.0.0.1:${location.port || 80}/ on the machine that runs it (browsers treat localhost as secure), or choose an image file.`,
      );
      return;
    }
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        video: { width: { ideal: 640 }, height: { ideal: 480 } },
        audio: false,
      });
    } catch (e) {
      const name = (e as DOMException)?.name;
      const text =
        name === "NotAllowedError" || name === "SecurityError"
          ? "Camera permission denied: allow the camera for this page (the camera icon in the address bar, or the site settings) and press “Use camera” again, or choose an image file instead."
          : name === "NotFoundError" || name === "OverconstrainedError"
            ? "No camera found: plug one in and press “Use camera” again, or choose an image file instead."
            : name === "NotReadableError"
              ? "The camera is busy (another application is using it): close that application and press “Use camera” again."
              : `The camera could not start (${name ?? "error"}: ${(e as Error)?.message ?? e}); choose an image file instead.`;
      this.result.dataset.state = "error";
      this.message("error", text);
      return;
    }
    this.stopCamera();
    this.stream = stream;
    this.video.srcObject = stream;
    await this.video.play();
    this.source = { kind: "camera", el: this.video, width: this.video.videoWidth, height: this.video.videoHeight };
    byId<HTMLButtonElement>("stop").disabled = false;
    this.status(`camera, ${this.source.width}×${this.source.height}`);
    this.message(null);
    this.setFractionSlider();
    const loop = () => {
      if (!this.stream || this.source?.kind !== "camera") return;
      const v = this.video;
      if (v.videoWidth && (v.videoWidth !== this.source.width || v.videoHeight !== this.source.height))
        Object.assign(this.source, { width: v.videoWidth, height: v.videoHeight });
      this.step();
      requestAnimationFrame(loop);
    };
    requestAnimationFrame(loop);
  }

  /** An image from the file chooser or a drop: decoded without colour conversion (as sharp reads bytes), or a message. */
  async useFile(file: File | undefined): Promise<void> {
    if (!file) {
      this.message("error", "Nothing to read: drop or choose an image file (PNG, JPEG, WebP, GIF, BMP).");
      return;
    }
    let bitmap: ImageBitmap;
    try {
      bitmap = await createImageBitmap(file, {
        colorSpaceConversion: "none",
        premultiplyAlpha: "none",
        imageOrientation: "from-image",
      });
    } catch {
      this.result.dataset.state = "error";
      this.message(
        "error",
        `“${file.name}” is not an image this browser can read (${file.type || "unknown type"}, ${file.size} bytes): choose a PNG, JPEG, WebP, GIF or BMP picture of a face.`,
      );
      return;
    }
    this.stopCamera();
    this.message(null);
    this.source = { kind: "image", el: bitmap, width: bitmap.width, height: bitmap.height };
    this.status(`${file.name}, ${bitmap.width}×${bitmap.height}`);
    this.setFractionSlider();
    this.step();
  }

  /** A drawn sample face (synthetic: the page ships no CK+48 face). */
  async useSample(expression: SampleExpression): Promise<void> {
    const img = new Image();
    img.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(syntheticFaceSvg(expression))}`;
    await img.decode();
    const c = document.createElement("canvas");
    c.width = img.width;
    c.height = img.height;
    c.getContext("2d")!.drawImage(img, 0, 0);
    this.stopCamera();
    this.message(null);
    this.source = { kind: "image", el: c, width: c.width, height: c.height };
    this.status(`drawn face (${expression}), ${c.width}×${c.height}`);
    this.setFractionSlider();
    this.step();
  }

  setFractionSlider(): void {
    const s = byId<HTMLInputElement>("box");
    if (this.source) s.value = String(Math.round(100 * this.fraction[this.source.kind]));
  }

  wire(): void {
    byId("start").addEventListener("click", () => void this.startCamera());
    byId("stop").addEventListener("click", () => {
      this.stopCamera();
      this.status("camera stopped");
    });
    const file = byId<HTMLInputElement>("file");
    file.addEventListener("change", () => {
      void this.useFile(file.files?.[0]);
      file.value = "";
    });
    document.querySelectorAll<HTMLButtonElement>("button[data-sample]").forEach((b) => {
      b.addEventListener("click", () => void this.useSample(b.dataset.sample as SampleExpression));
    });
    byId<HTMLInputElement>("box").addEventListener("input", (e) => {
      if (!this.source) return;
      this.fraction[this.source.kind] = Number((e.target as HTMLInputElement).value) / 100;
      if (this.source.kind === "image") this.step();
    });
    const drop = byId("drop");
    drop.addEventListener("dragover", (e) => {
      e.preventDefault();
      drop.classList.add("over");
    });
    drop.addEventListener("dragleave", () => drop.classList.remove("over"));
    drop.addEventListener("drop", (e) => {
      e.preventDefault();
      drop.classList.remove("over");
      void this.useFile(e.dataTransfer?.files?.[0]);
    });
  }
}

/** The WebGL renderer's name (e.g. a GPU, or SwiftShader, Chromium's software GPU), or "" when the browser hides it. */
function webglRenderer(): string {
  const gl =
    document.createElement("canvas").getContext("webgl2") ?? document.createElement("canvas").getContext("webgl");
  if (!gl) return "";
  const info = gl.getExtension("WEBGL_debug_renderer_info");
  return String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER) ?? "");
}

/** Pick the backend: `?backend=` if given, else webgl when the browser has it, else cpu. */
async function pickBackend(asked: string | null): Promise<string> {
  for (const b of asked ? [asked] : ["webgl", "cpu"]) {
    try {
      if (await tf.setBackend(b)) {
        await tf.ready();
        return b;
      }
    } catch {
      // try the next one
    }
  }
  throw new Error(`no TensorFlow.js backend ${asked ?? "webgl or cpu"} in this browser`);
}

/** The page's start: facts, backend, model, controls. Every failure ends as a message on the page. */
async function main(): Promise<void> {
  const page = new DemoPage();
  const facts = JSON.parse(byId("facts").textContent || "{}") as DemoFacts;
  byId("caveat").innerHTML = caveatHtml(facts);
  byId("model").textContent = facts.model ?? "model";
  byId("chart").innerHTML = barChartSvg(null);
  page.wire();
  const asked = new URLSearchParams(location.search).get("backend");
  const select = byId<HTMLSelectElement>("backend-choice");
  select.value = asked ?? "auto";
  select.addEventListener("change", () => {
    const q = new URLSearchParams(location.search);
    if (select.value === "auto") q.delete("backend");
    else q.set("backend", select.value);
    location.search = q.toString();
  });
  let backend: string;
  try {
    backend = await pickBackend(asked);
  } catch (e) {
    page.fail("TensorFlow.js cannot run here", e);
    return;
  }
  const precision =
    backend === "webgl" ? (tf.env().getBool("WEBGL_RENDER_FLOAT32_ENABLED") ? ", float32" : ", float16") : "";
  const software =
    backend === "webgl" && /swiftshader|llvmpipe|software/i.test(webglRenderer()) ? ", software GPU" : "";
  byId("backend").textContent = `${backend}${precision}${software}`;
  if (software)
    byId("backend").title = `${webglRenderer()}: WebGL emulated on the CPU; the cpu backend may be faster here`;
  page.result.dataset.backend = backend;
  page.status("loading the model…");
  try {
    page.model = await tf.loadLayersModel("model/model.json");
  } catch (e) {
    page.fail("The model did not load from model/model.json", e);
    return;
  }
  // One prediction on a blank input first: webgl compiles its shaders on first use (about half a second here), which
  // would otherwise be the first prediction's time.
  page.status("warming up…");
  predictInput(page.model, new Float32Array(SIDE * SIDE * 3));
  page.status("ready: use the camera, choose or drop an image, or try a drawn face");
  page.result.dataset.state = "ready";
  // The test's handle (test/demo.test.ts): run the current source again, e.g. to time 20 predictions of one image.
  (window as unknown as { ferDemo: object }).ferDemo = { again: () => page.step(), page };
}

if (typeof document !== "undefined" && typeof window !== "undefined") {
  void main().catch((e) => {
    const m = document.getElementById("message");
    if (m) {
      m.hidden = false;
      m.dataset.kind = "error";
      m.textContent = `The demo failed to start: ${(e as Error)?.message ?? e}`;
    }
  });
}
