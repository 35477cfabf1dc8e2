/**
 * The live demo's pure parts (no DOM, no TensorFlow.js): the guide box, the check that stands in for a face detector,
 * the bar chart, the drawn sample faces and the caveat. The page (lib/demo/page.ts) draws them; test/demo.test.ts
 * tests them in node.
 */
import { CLASSES, PAPER } from "../config";
import { argmax } from "../arrays";
import type { Picture } from "../display/pictures";

// ---------------------------------------------------------------------------------------------------------------
// Pure helpers (no DOM): tested in node
// ---------------------------------------------------------------------------------------------------------------

/** A probability or an accuracy as the page writes it: "91.2%". */
export const pct = (p: number): string => `${(100 * p).toFixed(1)}%`;

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
 * The check of the manual box (the fallback when the detector is not used): the crop must not be tiny, and must not
 * be nearly uniform. It cannot tell a face from a textured wall, so the page asks the user to fill the box with a
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

/**
 * A picture in [0, 1] (grey or RGB) as the RGBA bytes of a canvas ImageData: rounded and clamped as lib/display/pictures.ts'
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
    const text = probs ? pct(p) : "–";
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
  /** The mapping from a detector's box to a CK+48-like crop (data/detect/crop-fit.json), when the page finds faces. */
  cropFit?: { dx: number; dy: number; scale: number };
  /**
   * The peers' comparison (data/runs/peers/peers.json), six shared classes as shipped, people resampled: a model
   * trained on other faces (Human's, FER2013 only) on CK+48, beside ours on CK+48 people it never saw.
   */
  crossData?: {
    peer: string;
    trainedOn: string;
    accuracy: number;
    lo: number;
    hi: number;
    ours: number;
    oursLo: number;
    oursHi: number;
  };
}

/** The caveat shown under the demo, as HTML (numbers from {@link DemoFacts}; `notebook` is the study notebook's link). */
export function caveatHtml(f: DemoFacts, notebook = "notebooks/06-study.ipynb"): string {
  const study =
    f.subject && f.random
      ? ` Even on people it never saw from that same lab, the model is right ${pct(f.subject.mean)} of the time (95% interval ${pct(f.subject.lo)}–${pct(f.subject.hi)}, ${f.subject.seeds} seeds), against ${pct(f.random.mean)} on the paper's random split, where a test face's sibling frames are in training: see the subject-independent numbers in <a href="${notebook}">${notebook}</a>.`
      : ` See the subject-independent numbers in <a href="${notebook}">${notebook}</a>.`;
  return (
    `<strong>Read this before trusting a bar.</strong> The model was trained on ${f.images} posed faces of ${f.subjects} people, photographed in a lab (CK+48: grey, frontal, posed expressions). ` +
    `A face from a webcam, in other light, pose or ethnicity, is far from that, and so is a drawing: treat what you see as a demonstration of the method, not a reading of emotions.` +
    study +
    ` Finding the face (TinyFaceDetector, cropped as CK+48 is cropped) puts the face where the model expects it; it does not make a lab model work in the wild.` +
    (f.crossData
      ? ` A model trained on other faces does much worse on these than one trained on them: ${f.crossData.peer}, trained on ${f.crossData.trainedOn}, is right ${pct(f.crossData.accuracy)} (${pct(f.crossData.lo)}–${pct(f.crossData.hi)}) of the time on CK+48's six shared classes, ours, trained on CK+48 and tested on its people it never saw, ${pct(f.crossData.ours)} (${pct(f.crossData.oursLo)}–${pct(f.crossData.oursHi)}; 95% intervals resampling the people). Expect the same gap the other way round from ours on a webcam.`
      : "")
  );
}

/** How the page finds the face: the detector's largest face, every face it finds, or the manual (yellow) box. */
export const FIND_MODES = ["largest", "all", "manual"] as const;
export type FindMode = (typeof FIND_MODES)[number];

/**
 * Below this shorter side, in pixels, an image is taken as a face crop already (a CK+48 image is 48×48), as
 * `npm run predict` takes it without --detect: the detector needs a face of 30 px or more with some room around it.
 */
export const CROP_SIDE = 96;

/**
 * The find mode a new source starts in: the manual box for a drawn face (the detector, trained on photos, rarely
 * sees a drawing as a face) and for an image already cropped to a face; else the mode the user chose.
 */
export function modeFor(source: { width: number; height: number; drawn?: boolean }, chosen: FindMode): FindMode {
  return source.drawn || Math.min(source.width, source.height) < CROP_SIDE ? "manual" : chosen;
}

/** What the page says when the detector finds no face, instead of classifying a wall. */
export const NO_FACE =
  "No face found: face the camera in good light, come closer, or choose “manual box” and put the face in the yellow box yourself.";

/** One frame's times in milliseconds: detection (crops included; absent with the manual box), prediction, Grad-CAM. */
export interface FrameTimes {
  detect?: number;
  predict: number;
  cam: number;
}

/** The page's timing line: this frame's steps, their total, and the medians of the last frames. */
export function timingText(now: FrameTimes, medians: FrameTimes, frames: number): string {
  const total = (t: FrameTimes) => (t.detect ?? 0) + t.predict + t.cam;
  const parts = (t: FrameTimes) =>
    [
      t.detect === undefined ? null : `detection ${t.detect.toFixed(1)}`,
      `prediction ${t.predict.toFixed(1)}`,
      `Grad-CAM ${t.cam.toFixed(1)}`,
    ]
      .filter(Boolean)
      .join(" + ");
  const m = total(medians);
  return `${parts(now)} = ${total(now).toFixed(1)} ms this frame; median of the last ${frames}: ${m.toFixed(1)} ms (${(1000 / m).toFixed(1)} frames/s)`;
}

/** What the page says when the camera does not start, by the DOMException's name. */
export function cameraError(name: string | undefined, message: string): string {
  if (name === "NotAllowedError" || name === "SecurityError")
    return "Camera permission denied: allow the camera for this page (the camera icon in the address bar, or the site settings) and press “Use camera” again, or choose an image file instead.";
  if (name === "NotFoundError" || name === "OverconstrainedError")
    return "No camera found: plug one in and press “Use camera” again, or choose an image file instead.";
  if (name === "NotReadableError")
    return "The camera is busy (another application is using it): close that application and press “Use camera” again.";
  return `The camera could not start (${name ?? "error"}: ${message}); choose an image file instead.`;
}

/** The list of faces found, as HTML items: each face's class and probability (when classified), crop and score. */
export function facesListHtml(
  faces: readonly {
    score: number;
    crop: { x: number; y: number; width: number };
    predicted?: string;
    probabilities?: readonly number[];
  }[],
): string {
  return faces
    .map(
      (f, k) =>
        `<li>${k + 1}: ${f.probabilities ? `<b>${f.predicted}</b> ${pct(Math.max(...f.probabilities))}` : "not classified (choose “find all”)"} <span>crop ${Math.round(f.crop.width)} px at ${Math.round(f.crop.x)}, ${Math.round(f.crop.y)}; detector score ${f.score.toFixed(2)}</span></li>`,
    )
    .join("");
}
