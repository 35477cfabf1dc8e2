/// <reference lib="dom" />
/**
 * The live demo's stage: the picture fitted to the page, with the manual guide box or the faces the detector found
 * (its box dashed, the CK+48-like crop the model sees solid, numbered, the predicted class beside it). Browser only.
 */
import type { Box as Rect } from "../detect/crop";
import { toModelInput } from "../data/pixels";
import type { Picture } from "../display/pictures";
import { PAPER } from "../config";
import { pictureRgba, type Box } from "./widgets";

const SIDE = PAPER.imageSize;

/** The stage's largest height on the page, in CSS pixels. */
const STAGE_HEIGHT = 440;

/** A face drawn on the stage: the detector's box, the crop, and its label ("1 happy 91%", or "2" when not classified). */
export interface StageFace {
  box: Rect;
  crop: Rect;
  label: string;
}

/**
 * Draw a source on the stage canvas, fitted to its parent's width and {@link STAGE_HEIGHT} (small images enlarged
 * with square pixels); returns the scale from source pixels to stage pixels.
 */
export function drawSource(stage: HTMLCanvasElement, el: CanvasImageSource, width: number, height: number): number {
  const maxW = Math.max(160, (stage.parentElement?.clientWidth ?? 640) - 8);
  const scale = Math.min(maxW / width, STAGE_HEIGHT / height);
  const w = Math.max(1, Math.round(width * scale));
  const h = Math.max(1, Math.round(height * scale));
  if (stage.width !== w || stage.height !== h) {
    stage.width = w;
    stage.height = h;
  }
  const ctx = stage.getContext("2d")!;
  ctx.imageSmoothingEnabled = Math.min(width, height) >= 128;
  ctx.drawImage(el, 0, 0, w, h);
  return scale;
}

/** The manual box: everything outside it dimmed, its edge yellow. */
export function drawGuide(stage: HTMLCanvasElement, box: Box, scale: number): void {
  const ctx = stage.getContext("2d")!;
  const [bx, by, bs] = [box.x * scale, box.y * scale, box.side * scale];
  ctx.save();
  ctx.fillStyle = "rgba(10, 14, 24, 0.55)";
  ctx.beginPath();
  ctx.rect(0, 0, stage.width, stage.height);
  ctx.rect(bx, by, bs, bs);
  ctx.fill("evenodd");
  ctx.strokeStyle = "#ffcf4a";
  ctx.lineWidth = 3;
  ctx.strokeRect(bx + 1.5, by + 1.5, bs - 3, bs - 3);
  ctx.restore();
}

/** The faces found: the first (the one explained) yellow, the others blue; each crop labelled above its corner. */
export function drawFaces(stage: HTMLCanvasElement, faces: readonly StageFace[], scale: number): void {
  const ctx = stage.getContext("2d")!;
  ctx.save();
  ctx.font = "600 14px system-ui, sans-serif";
  ctx.textBaseline = "bottom";
  faces.forEach((f, k) => {
    const colour = k === 0 ? "#ffcf4a" : "#74c0fc";
    const b = f.box;
    ctx.setLineDash([5, 4]);
    ctx.lineWidth = 1.5;
    ctx.strokeStyle = "rgba(255, 255, 255, 0.8)";
    ctx.strokeRect(b.x * scale, b.y * scale, b.width * scale, b.height * scale);
    ctx.setLineDash([]);
    ctx.lineWidth = 3;
    ctx.strokeStyle = colour;
    const c = f.crop;
    ctx.strokeRect(c.x * scale, c.y * scale, c.width * scale, c.height * scale);
    const tw = ctx.measureText(f.label).width + 10;
    const ty = Math.max(20, c.y * scale);
    ctx.fillStyle = colour;
    ctx.fillRect(c.x * scale - 1.5, ty - 20, tw, 20);
    ctx.fillStyle = "#11151f";
    ctx.fillText(f.label, c.x * scale + 3.5, ty - 3);
  });
  ctx.restore();
}

/**
 * The manual box's model input: drawn at 48×48 on `crop` (the browser's high-quality downscale), then
 * lib/data/pixels.ts' toModelInput, grey.
 */
export function cutBox(crop: HTMLCanvasElement, el: CanvasImageSource, box: Box): Float32Array {
  const ctx = crop.getContext("2d", { willReadFrequently: true })!;
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = "high";
  ctx.clearRect(0, 0, SIDE, SIDE);
  ctx.drawImage(el, box.x, box.y, box.side, box.side, 0, 0, SIDE, SIDE);
  return toModelInput(ctx.getImageData(0, 0, SIDE, SIDE).data, 4, true);
}

/** A source's pixels at its own size (RGBA), drawn on `frame`, for the detector. */
export function pixelsOf(
  frame: HTMLCanvasElement,
  el: CanvasImageSource,
  width: number,
  height: number,
): Uint8ClampedArray {
  if (frame.width !== width || frame.height !== height) {
    frame.width = width;
    frame.height = height;
  }
  const ctx = frame.getContext("2d", { willReadFrequently: true })!;
  ctx.drawImage(el, 0, 0);
  return ctx.getImageData(0, 0, width, height).data;
}

/** A picture in [0, 1] on a canvas of its size, or the canvas cleared. */
export function showPicture(canvas: HTMLCanvasElement, p: Picture | null): void {
  const ctx = canvas.getContext("2d")!;
  if (!p) {
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    return;
  }
  const img = ctx.createImageData(p.width, p.height);
  img.data.set(pictureRgba(p));
  ctx.putImageData(img, 0, 0);
}
