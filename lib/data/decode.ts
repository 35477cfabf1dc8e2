/**
 * Section 2.1 of the paper, decoding: each image is decoded with sharp, converted to RGB (the paper's Keras loader
 * reads colour_mode="rgb": the grey value is copied to three channels), resized to 48×48 when it is not, and scaled
 * to [0, 1] (lib/data/pixels.ts toModelInput). describeDecoding reads one file both ways, for notebook 01.
 */
import * as fs from "fs";
import sharp from "sharp";
import { PAPER } from "../config";
import { UserError } from "../errors";
import { toModelInput } from "./pixels";

/** The largest image file read (a 48×48 face is a few kB; a 3000×3000 photo tens of MB). */
export const MAX_IMAGE_BYTES = 200_000_000;

/**
 * Decode one image file (any format and colour type sharp reads: 8 or 16 bits, grey, palette, alpha, CMYK; PNG, JPEG,
 * WebP, GIF, TIFF, …) into RGB floats in [0, 1], size × size × 3, resizing (ignoring aspect ratio, as Keras'
 * `load_img(target_size=…)` does) when it is not size × size. An unreadable, empty, truncated or non-image file is a
 * UserError naming it.
 */
export async function decodeImage(file: string, size: number = PAPER.imageSize): Promise<Float32Array> {
  return decodeImageBuffer(readImageFile(file), file, size);
}

/** An image file's bytes: a regular, non-empty file within {@link MAX_IMAGE_BYTES}, else a one-line UserError. */
function readImageFile(file: string): Buffer {
  let buf: Buffer;
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(file);
    if (!st.isFile() && !st.isDirectory())
      throw new UserError(
        `cannot read ${file}: it is not a regular file (a device, pipe or socket); give an image file`,
      );
    if (st.size > MAX_IMAGE_BYTES)
      throw new UserError(
        `cannot read ${file}: it is ${(st.size / 1e6).toFixed(0)} MB, over the ${MAX_IMAGE_BYTES / 1e6} MB an image may be`,
      );
    buf = fs.readFileSync(file);
  } catch (e) {
    if (e instanceof UserError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    const what = code === "ENOENT" ? " (no such file)" : code === "EISDIR" ? " (a folder, not an image file)" : "";
    throw new UserError(`cannot read ${file}: ${code ?? (e as Error).message}${what}`);
  }
  if (buf.length === 0)
    throw new UserError(
      `cannot decode image ${file}: the file is empty (0 bytes); replace it with the original image or remove it`,
    );
  return buf;
}

/** A decoding failure of sharp's as the one-line UserError every decoder here gives. */
function decodeError(name: string, e: unknown): UserError {
  return new UserError(
    `cannot decode image ${name}: ${(e as Error).message.split("\n")[0]} (truncated or not an image; replace it with the original or remove it)`,
  );
}

/** As decodeImage, from bytes already read (`name` only labels errors). */
export async function decodeImageBuffer(
  buf: Buffer,
  name: string,
  size: number = PAPER.imageSize,
): Promise<Float32Array> {
  let raw: { data: Buffer; info: sharp.OutputInfo };
  try {
    let img = sharp(buf, { failOn: "error" }).rotate().removeAlpha().toColourspace("srgb");
    const meta = await sharp(buf).metadata();
    if (meta.width !== size || meta.height !== size) img = img.resize(size, size, { fit: "fill" });
    raw = await img.raw().toBuffer({ resolveWithObject: true });
  } catch (e) {
    throw decodeError(name, e);
  }
  if (raw.info.channels !== 3 || raw.info.width !== size || raw.info.height !== size) {
    throw new UserError(`cannot decode image ${name}: got ${raw.info.width}×${raw.info.height}×${raw.info.channels}`);
  }
  return toModelInput(raw.data, 3);
}

/** What decoding does to one file (Section 2.1): its stored form and the network's input. */
export interface DecodingReport {
  file: string;
  stored: { width: number; height: number; channels: number; format: string; bitDepth: string };
  /** Shape of the decoded array: [48, 48, 3]. */
  decodedShape: number[];
  /** True when R = G = B everywhere (the grey value copied to three channels). */
  channelsEqual: boolean;
  min: number;
  max: number;
  /** The top-left 4×4 pixels: stored bytes (0–255) and the network's values (÷255, channel 0). */
  bytes: number[][];
  scaled: number[][];
}

/** Read one image both ways: as stored (sharp metadata, raw bytes) and as the network sees it (lib/data/decode.ts decodeImage). */
export async function describeDecoding(file: string): Promise<DecodingReport> {
  const meta = await sharp(file).metadata();
  const raw = await sharp(file).raw().toBuffer({ resolveWithObject: true });
  const x = await decodeImage(file);
  const size = PAPER.imageSize;
  let equal = true;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < x.length; i += 3) {
    if (x[i] !== x[i + 1] || x[i] !== x[i + 2]) equal = false;
    min = Math.min(min, x[i], x[i + 1], x[i + 2]);
    max = Math.max(max, x[i], x[i + 1], x[i + 2]);
  }
  const ch = raw.info.channels;
  const bytes = [0, 1, 2, 3].map((y) => [0, 1, 2, 3].map((xx) => raw.data[(y * raw.info.width + xx) * ch]));
  const scaled = [0, 1, 2, 3].map((y) => [0, 1, 2, 3].map((xx) => x[(y * size + xx) * 3]));
  return {
    file,
    stored: {
      width: meta.width ?? 0,
      height: meta.height ?? 0,
      channels: meta.channels ?? 0,
      format: meta.format ?? "?",
      bitDepth: String(meta.depth ?? "?"),
    },
    decodedShape: [size, size, 3],
    channelsEqual: equal,
    min,
    max,
    bytes,
    scaled,
  };
}

/**
 * Decode a photo at its own size, for face detection (`predict --detect`): RGB values in [0, 1], rows of width × 3,
 * with the same bounded read and one-line errors as {@link decodeImage}.
 */
export async function decodePhoto(file: string): Promise<{ data: Float32Array; width: number; height: number }> {
  const buf = readImageFile(file);
  let raw: { data: Buffer; info: sharp.OutputInfo };
  try {
    raw = await sharp(buf, { failOn: "error" })
      .rotate()
      .removeAlpha()
      .toColourspace("srgb")
      .raw()
      .toBuffer({ resolveWithObject: true });
  } catch (e) {
    throw decodeError(file, e);
  }
  return { data: toModelInput(raw.data, 3), width: raw.info.width, height: raw.info.height };
}
