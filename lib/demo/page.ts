/// <reference lib="dom" />
/**
 * The live demo's page (`npm run demo`, lib/cli/demo.ts serves it): the paper's CNN on a face from the webcam, an image
 * file or a drawn sample face, with its 7 class probabilities and the Grad-CAM map of the predicted class.
 *
 * This file runs in the browser, bundled by esbuild with the very modules the notebooks and tests use: the
 * preprocessing is lib/data/pixels.ts' {@link toModelInput} (the step after decoding: RGB bytes → floats in [0, 1]),
 * the model is read through tfjs as every command reads it, and a prediction is lib/demo/predict.ts' (the notebooks'
 * probabilities, Grad-CAM and overlay). Only decoding differs, as it must: sharp in node, a canvas here. The pure
 * helpers are lib/demo/widgets.ts, tested in node (test/demo.test.ts); the page itself is tested in Debian's chromium
 * through Playwright.
 */
import { tf, type LayersModel } from "../tf";
import { CLASSES, PAPER } from "../config";
import { median } from "../arrays";
import { toModelInput } from "../data/pixels";
import type { Picture } from "../display/pictures";
import {
  barChartSvg,
  caveatHtml,
  faceProblem,
  guideBox,
  pictureRgba,
  syntheticFaceSvg,
  type Box,
  type DemoFacts,
  type SampleExpression,
} from "./widgets";
import { predictInput } from "./predict";

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

  /** The model input of the box: drawn at 48×48 (the browser's high-quality downscale), then lib/data/pixels.ts' toModelInput, grey. */
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
