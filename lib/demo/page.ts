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
import { argmax, median } from "../arrays";
import type { FaceApi } from "../detect/face";
import type { CropFit } from "../detect/crop";
import {
  NO_FACE,
  barChartSvg,
  cameraError,
  facesListHtml,
  caveatHtml,
  faceProblem,
  guideBox,
  modeFor,
  pct,
  syntheticFaceSvg,
  timingText,
  type DemoFacts,
  type FindMode,
  type FrameTimes,
  type SampleExpression,
} from "./widgets";
import { predictInput, predictMany } from "./predict";
import { cutBox, drawFaces, drawGuide, drawSource, pixelsOf, showPicture } from "./stage";
import { frameFaces, loadDetector } from "./faces";
import { backendLabel, pickBackend, wireBackendChoice } from "./backend";

// ---------------------------------------------------------------------------------------------------------------
// The page (browser only)
// ---------------------------------------------------------------------------------------------------------------

/** The source faces are found in or the guide box is cut from. */
interface Source {
  kind: "camera" | "image";
  el: CanvasImageSource;
  width: number;
  height: number;
  /** A drawn sample face. */
  drawn?: boolean;
}

/** A message on the page: an error, a warning (e.g. no face found) or a note. Never console-only. */
type MessageKind = "error" | "warning" | "info";

const SIDE = PAPER.imageSize;

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
  detector: FaceApi | null = null;
  fit: CropFit | null = null;
  source: Source | null = null;
  stream: MediaStream | null = null;
  fraction = { camera: 0.6, image: 1 };
  /** The find mode the user chose; a drawn face or a small image starts in the manual box ({@link modeFor}). */
  chosen: FindMode = "largest";
  mode: FindMode = "largest";
  frames = 0;
  busy = false;
  times: FrameTimes[] = [];
  readonly stage = byId<HTMLCanvasElement>("stage");
  readonly crop = document.createElement("canvas");
  readonly frame = document.createElement("canvas");
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

  /** A frame without a prediction: the box is refused, or no face was found. */
  refuse(state: "rejected" | "no-face", text: string, extra: Record<string, string> = {}): void {
    showPicture(this.cam, null);
    if (state === "no-face") showPicture(this.input, null);
    byId("chart").innerHTML = barChartSvg(null);
    byId("cam-label").textContent = "Grad-CAM";
    byId("verdict").textContent = "";
    byId("faces").innerHTML = "";
    const r = this.result;
    for (const k of ["probabilities", "predicted", "faces"]) delete r.dataset[k];
    Object.assign(r.dataset, { state, ...extra });
    this.message("warning", text);
  }

  /** One frame: find the face (or cut the manual box), predict, explain, draw. */
  async step(): Promise<void> {
    if (!this.model || !this.source || this.busy) return;
    this.busy = true;
    try {
      if (this.mode === "manual" || !this.detector || !this.fit) this.stepManual();
      else await this.stepDetect(this.detector, this.fit);
    } catch (e) {
      this.fail("The prediction failed", e);
    } finally {
      this.busy = false;
    }
  }

  stepManual(): void {
    const s = this.source!;
    const scale = drawSource(this.stage, s.el, s.width, s.height);
    const box = guideBox(s.width, s.height, this.fraction[s.kind]);
    drawGuide(this.stage, box, scale);
    const input = cutBox(this.crop, s.el, box);
    showPicture(this.input, { data: input, width: SIDE, height: SIDE, channels: 3 });
    const problem = faceProblem(input, box.side);
    if (problem) return this.refuse("rejected", problem);
    byId("faces").innerHTML = "";
    this.predicted(input, undefined, []);
  }

  async stepDetect(detector: FaceApi, fit: CropFit): Promise<void> {
    const s = this.source!;
    const found = await frameFaces(
      detector,
      pixelsOf(this.frame, s.el, s.width, s.height),
      s.width,
      s.height,
      fit,
      SIDE,
    );
    const scale = drawSource(this.stage, s.el, s.width, s.height);
    if (!found.faces.length) {
      drawFaces(this.stage, [], scale);
      return this.refuse("no-face", NO_FACE, { faces: "[]", msDetect: String(found.ms) });
    }
    const classified = this.mode === "all" ? found.inputs.length : 1;
    const t0 = performance.now();
    const others = classified > 1 ? predictMany(this.model!, found.inputs.slice(1)) : [];
    const msOthers = performance.now() - t0;
    showPicture(this.input, { data: found.inputs[0], width: SIDE, height: SIDE, channels: 3 });
    const first = this.predicted(found.inputs[0], { detect: found.ms, others: msOthers }, others);
    const probs = [first, ...others];
    const faces = found.faces.map((f, k) => ({
      ...f,
      ...(k < probs.length ? { predicted: CLASSES[argmax(probs[k])], probabilities: probs[k] } : {}),
    }));
    drawFaces(
      this.stage,
      faces.map((f, k) => ({
        box: f.box,
        crop: f.crop,
        label: f.probabilities
          ? `${k + 1} ${f.predicted} ${pct(f.probabilities[argmax(f.probabilities)])}`
          : `${k + 1}`,
      })),
      scale,
    );
    byId("faces").innerHTML = facesListHtml(faces);
    this.result.dataset.faces = JSON.stringify(faces);
  }

  /** Predict and explain the first face's input, and show it; returns its probabilities. */
  predicted(input: Float32Array, detect: { detect: number; others: number } | undefined, others: number[][]): number[] {
    const p = predictInput(this.model!, input);
    this.frames++;
    const now: FrameTimes = { detect: detect?.detect, predict: p.msPredict + (detect?.others ?? 0), cam: p.msCam };
    this.times = [...this.times, now].slice(-KEEP_TIMES);
    showPicture(this.cam, p.overlay);
    byId("chart").innerHTML = barChartSvg(p.probabilities);
    const name = CLASSES[p.predicted];
    byId("cam-label").textContent = `Grad-CAM of “${name}”${detect ? ", face 1" : ""}`;
    byId("verdict").textContent = `${name} ${pct(p.probabilities[p.predicted])}`;
    const med = (f: (t: FrameTimes) => number | undefined) => median(this.times.map((t) => f(t) ?? 0));
    byId("timing").textContent = timingText(
      now,
      { detect: detect ? med((t) => t.detect) : undefined, predict: med((t) => t.predict), cam: med((t) => t.cam) },
      this.times.length,
    );
    Object.assign(this.result.dataset, {
      state: "ok",
      mode: this.mode,
      probabilities: JSON.stringify(p.probabilities),
      predicted: name,
      frames: String(this.frames),
      msDetect: detect ? String(detect.detect) : "",
      msPredict: String(now.predict),
      msCam: String(p.msCam),
      classified: String(1 + others.length),
      tensors: String(tf.memory().numTensors),
    });
    if (byId("message").dataset.kind === "warning") this.message(null);
    return p.probabilities;
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
      const text = cameraError((e as DOMException)?.name, String((e as Error)?.message ?? e));
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
    this.sourceChanged();
    const loop = () => {
      if (!this.stream || this.source?.kind !== "camera") return;
      const v = this.video;
      if (v.videoWidth && (v.videoWidth !== this.source.width || v.videoHeight !== this.source.height))
        Object.assign(this.source, { width: v.videoWidth, height: v.videoHeight });
      void this.step();
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
    this.sourceChanged();
    if (this.mode === "manual" && this.chosen !== "manual")
      this.message(
        "info",
        `A ${bitmap.width}×${bitmap.height} image is taken as a face crop already, as npm run predict takes it without --detect; choose a find mode to look for faces in it.`,
      );
    await this.step();
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
    this.source = { kind: "image", el: c, width: c.width, height: c.height, drawn: true };
    this.status(`drawn face (${expression}), ${c.width}×${c.height}`);
    this.sourceChanged();
    await this.step();
  }

  /** A new source: its find mode ({@link modeFor}) and the box slider's value. */
  sourceChanged(): void {
    const s = this.source;
    if (!s) return;
    this.setMode(this.detector ? modeFor(s, this.chosen) : "manual");
    byId<HTMLInputElement>("box").value = String(Math.round(100 * this.fraction[s.kind]));
  }

  setMode(mode: FindMode): void {
    this.mode = mode;
    byId<HTMLSelectElement>("find").value = mode;
    byId<HTMLInputElement>("box").disabled = mode !== "manual";
    byId("input-title").textContent =
      mode === "manual" ? "Input: put a face in the yellow box" : "Input: faces found by TinyFaceDetector";
    this.times = [];
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
      if (this.source.kind === "image") void this.step();
    });
    const find = byId<HTMLSelectElement>("find");
    find.addEventListener("change", () => {
      this.chosen = find.value as FindMode;
      this.setMode(this.chosen);
      this.message(null);
      if (this.source?.kind === "image") void this.step();
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

/** The page's start: facts, backend, model, controls. Every failure ends as a message on the page. */
async function main(): Promise<void> {
  const page = new DemoPage();
  const facts = JSON.parse(byId("facts").textContent || "{}") as DemoFacts;
  byId("caveat").innerHTML = caveatHtml(facts);
  byId("model").textContent = facts.model ?? "model";
  byId("chart").innerHTML = barChartSvg(null);
  page.wire();
  const asked = wireBackendChoice(byId<HTMLSelectElement>("backend-choice"));
  let backend: string;
  try {
    backend = await pickBackend(asked);
  } catch (e) {
    page.fail("TensorFlow.js cannot run here", e);
    return;
  }
  Object.assign(byId("backend"), backendLabel(backend));
  page.result.dataset.backend = backend;
  page.status("loading the model…");
  try {
    page.model = await tf.loadLayersModel("model/model.json");
  } catch (e) {
    page.fail("The model did not load from model/model.json", e);
    return;
  }
  page.status("loading the face detector…");
  try {
    if (!facts.cropFit) throw new Error("the server sent no crop mapping");
    page.fit = facts.cropFit;
    page.detector = await loadDetector("detector");
  } catch (e) {
    page.detector = null;
    page.message("warning", `The face detector did not load (${(e as Error)?.message ?? e}): use the manual box.`);
  }
  // One prediction and one detection on a blank input first: webgl compiles its shaders on first use (about half a
  // second here), which would otherwise be the first frame's time.
  page.status("warming up…");
  predictInput(page.model, new Float32Array(SIDE * SIDE * 3));
  if (page.detector) await frameFaces(page.detector, new Uint8ClampedArray(64 * 64 * 4), 64, 64, page.fit!, SIDE);
  page.status("ready: use the camera, choose or drop an image, or try a drawn face");
  page.result.dataset.state = "ready";
  // The test's handle (test/demo.test.ts): run the current source again, e.g. to time 20 predictions of one image.
  (window as unknown as { ferDemo: object }).ferDemo = { again: () => page.step(), page };
  page.setMode(page.detector ? page.chosen : "manual");
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
