/**
 * Transform (`tf.image.transform`, used by the augmentation of lib/augment.ts) for `cpu-fast`.
 *
 * Why by hand: tfjs 4.22's cpu Transform kernel returns from inside its batch loop, so for a batch of n > 1 only the
 * first image is transformed and the rest come back as the fill value; it also recomputes the projected coordinate
 * and calls a fill-mode switch for every channel of every pixel. This kernel is the same arithmetic (each output
 * value is bit-identical to the stock kernel on that image alone), done once per pixel, for every image of the batch.
 *
 * The augmentation's case (bilinear, fill mode "nearest") runs in WebAssembly (asm/transform.ts, the same float64
 * arithmetic as {@link transformLoop}, which serves every other case).
 *
 * Supported: everything the op can send (`tf.image.transform` converts images and transforms to float32): both
 * interpolations ("nearest", "bilinear") and all fill modes ("constant", "nearest", "reflect", "wrap").
 */
import type * as tfjs from "@tensorflow/tfjs";
import type { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import { kernelStats, valuesOf } from "./conv";
import { wasmArena } from "./wasm";

type Tf = typeof tfjs;
type TensorInfo = tfjs.TensorInfo;
type KernelConfig = tfjs.KernelConfig;
type KernelArgs = Parameters<KernelConfig["kernelFunc"]>[0];
type FillMode = "constant" | "reflect" | "wrap" | "nearest";

const clamp = (min: number, x: number, max: number) => Math.max(min, Math.min(x, max));

/** The stock kernel's coordinate mapping for points outside [0, len − 1] (tfjs-backend-cpu Transform.js). */
export function mapCoord(c: number, len: number, mode: FillMode): number {
  switch (mode) {
    case "reflect": {
      let v = c;
      if (v < 0) {
        if (len <= 1) v = 0;
        else {
          const sz2 = 2 * len;
          if (v < sz2) v = sz2 * Math.trunc(-v / sz2) + v;
          v = v < -len ? v + sz2 : -v - 1;
        }
      } else if (v > len - 1) {
        if (len <= 1) v = 0;
        else {
          const sz2 = 2 * len;
          v -= sz2 * Math.trunc(v / sz2);
          if (v >= len) v = sz2 - v - 1;
        }
      }
      return clamp(0, v, len - 1);
    }
    case "wrap": {
      let v = c;
      if (v < 0) {
        if (len <= 1) v = 0;
        else v += len * (Math.trunc(-v / (len - 1)) + 1);
      } else if (v > len - 1) {
        if (len <= 1) v = 0;
        else v -= len * Math.trunc(v / (len - 1));
      }
      return clamp(0, v, len - 1);
    }
    case "nearest":
      return clamp(0, c, len - 1);
    default:
      return c;
  }
}

/** Batched affine/projective warp of NHWC `img` into `out` [B, OH, OW, C] (see the file comment). */
export function transformLoop(
  img: Float32Array,
  transforms: ArrayLike<number>,
  perImage: boolean,
  out: Float32Array,
  B: number,
  H: number,
  W: number,
  C: number,
  OH: number,
  OW: number,
  interpolation: "nearest" | "bilinear",
  fillMode: FillMode,
  fillValue: number,
): void {
  // Offset of pixel (y, x) of the image starting at `base`, or -1 outside the image (read as fillValue).
  const at = (base: number, y: number, x: number) =>
    0 <= y && y < H && 0 <= x && x < W ? (base + (y * W + x) * C) | 0 : -1;
  const nearest = interpolation === "nearest";
  const clampEdges = fillMode === "nearest"; // the augmentation's mode: mapCoord reduces to a clamp

  for (let b = 0; b < B; b++) {
    const t = perImage ? b * 8 : 0;
    const a0 = transforms[t],
      a1 = transforms[t + 1],
      a2 = transforms[t + 2];
    const b0 = transforms[t + 3],
      b1 = transforms[t + 4],
      b2 = transforms[t + 5];
    const c0 = transforms[t + 6],
      c1 = transforms[t + 7];
    const base = b * H * W * C;
    let o = b * OH * OW * C;
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++, o += C) {
        const projection = c0 * ox + c1 * oy + 1;
        if (projection === 0) {
          for (let c = 0; c < C; c++) out[o + c] = fillValue;
          continue;
        }
        const x = clampEdges
          ? clamp(0, (a0 * ox + a1 * oy + a2) / projection, W - 1)
          : mapCoord((a0 * ox + a1 * oy + a2) / projection, W, fillMode);
        const y = clampEdges
          ? clamp(0, (b0 * ox + b1 * oy + b2) / projection, H - 1)
          : mapCoord((b0 * ox + b1 * oy + b2) / projection, H, fillMode);
        if (nearest) {
          const i = at(base, Math.round(y), Math.round(x));
          for (let c = 0; c < C; c++) out[o + c] = i < 0 ? fillValue : img[i + c];
          continue;
        }
        // Bilinear, in the stock kernel's order of operations (so the float results are identical).
        const yFloor = Math.floor(y),
          xFloor = Math.floor(x);
        const yCeil = yFloor + 1,
          xCeil = xFloor + 1;
        const i00 = at(base, yFloor, xFloor),
          i01 = at(base, yFloor, xCeil);
        const i10 = at(base, yCeil, xFloor),
          i11 = at(base, yCeil, xCeil);
        const wx0 = xCeil - x,
          wx1 = x - xFloor,
          wy0 = yCeil - y,
          wy1 = y - yFloor;
        for (let c = 0; c < C; c++) {
          const valueYFloor = wx0 * (i00 < 0 ? fillValue : img[i00 + c]) + wx1 * (i01 < 0 ? fillValue : img[i01 + c]);
          const valueYCeil = wx0 * (i10 < 0 ? fillValue : img[i10 + c]) + wx1 * (i11 < 0 ? fillValue : img[i11 + c]);
          out[o + c] = wy0 * valueYFloor + wy1 * valueYCeil;
        }
      }
    }
  }
}

/** The Transform kernel config for `backendName`. */
export function transformKernels(_tf: Tf, backendName: string): KernelConfig[] {
  const kernelFunc = (args: KernelArgs) => {
    const { image, transforms } = args.inputs as { image: TensorInfo; transforms: TensorInfo };
    const attrs = args.attrs as {
      interpolation: "nearest" | "bilinear";
      fillMode: FillMode;
      fillValue: number;
      outputShape?: [number, number];
    };
    const backend = args.backend as MathBackendCPU;
    const [B, H, W, C] = image.shape;
    const [OH, OW] = attrs.outputShape ?? [H, W];
    kernelStats.fast++;
    if (attrs.interpolation === "bilinear" && attrs.fillMode === "nearest") {
      // The augmentation's case, in WebAssembly (asm/transform.ts): the same float64 arithmetic, about 5× faster than
      // transformLoop for the augmentation's affine transforms of RGB images, about 1.4× for others.
      const perImage = transforms.shape[0] !== 1;
      const ar = wasmArena();
      const pi = ar.alloc(B * H * W * C);
      const pt = ar.alloc(transforms.shape[0] * 8);
      const po = ar.alloc(B * OH * OW * C);
      const pp = ar.alloc((H + 1) * (W + 1) * 3);
      ar.view(pi, B * H * W * C).set(valuesOf(backend, image));
      ar.view(pt, transforms.shape[0] * 8).set(valuesOf(backend, transforms));
      ar.fn.warpBilinearClamp(pi, pt, po, pp, B, H, W, C, OH, OW, perImage ? 1 : 0, attrs.fillValue);
      return backend.makeTensorInfo([B, OH, OW, C], "float32", ar.copyOut(po, B * OH * OW * C));
    }
    const out = new Float32Array(B * OH * OW * C);
    transformLoop(
      valuesOf(backend, image),
      valuesOf(backend, transforms),
      transforms.shape[0] !== 1,
      out,
      B,
      H,
      W,
      C,
      OH,
      OW,
      attrs.interpolation,
      attrs.fillMode,
      attrs.fillValue,
    );
    return backend.makeTensorInfo([B, OH, OW, C], "float32", out);
  };
  return [{ kernelName: "Transform", backendName, kernelFunc: kernelFunc as unknown as KernelConfig["kernelFunc"] }];
}
