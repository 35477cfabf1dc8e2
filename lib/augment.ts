/**
 * Section 2.1 (data augmentation) of the paper: Keras `ImageDataGenerator(rotation_range=25, width_shift_range=0.1,
 * height_shift_range=0.1, shear_range=0.2, zoom_range=0.2, horizontal_flip=True, fill_mode="nearest")`.
 *
 * We follow Keras' `get_random_transform` / `apply_affine_transform` exactly: one affine matrix per image,
 * rotation · shift · shear · zoom, centred on the image, in (x = column, y = row) coordinates, mapping each output
 * pixel to the input point it samples (bilinear, order 1; points outside take the nearest edge pixel), then the
 * horizontal flip. tfjs' `tf.image.transform` takes exactly such output→input matrices, so the warp is tfjs';
 * only the random parameters and the matrix are computed here. The flip is folded into the matrix (it maps
 * pixel centres onto pixel centres, so this is exact).
 */
import { tf, type Tensor4D } from "./tf";
import { PAPER, type AugmentConfig } from "./config";
import { Rng } from "./random";
import type { GridCell } from "./display/pictures";

/** The random parameters of one image's transform, in Keras' units. */
export interface TransformParams {
  /** Rotation in degrees. */
  theta: number;
  /** Shift of the first (x) coordinate in pixels (Keras draws it from height_shift_range × rows). */
  tx: number;
  /** Shift of the second (y) coordinate in pixels (width_shift_range × columns). */
  ty: number;
  /** Shear angle in degrees. */
  shear: number;
  /** Zoom factors (>1 samples a larger area: the face looks smaller). */
  zx: number;
  zy: number;
  /** Flip left-right after the affine warp. */
  flip: boolean;
}

/** Identity parameters (no augmentation). */
export const IDENTITY: TransformParams = { theta: 0, tx: 0, ty: 0, shear: 0, zx: 1, zy: 1, flip: false };

/** Draw one image's parameters as Keras' `get_random_transform` does (same ranges, our seeded generator). */
export function drawParams(
  rng: Rng,
  cfg: AugmentConfig = PAPER.augment,
  h = PAPER.imageSize,
  w = PAPER.imageSize,
): TransformParams {
  const theta = cfg.rotationRange ? rng.uniform(-cfg.rotationRange, cfg.rotationRange) : 0;
  const tx = cfg.heightShiftRange ? rng.uniform(-cfg.heightShiftRange, cfg.heightShiftRange) * h : 0;
  const ty = cfg.widthShiftRange ? rng.uniform(-cfg.widthShiftRange, cfg.widthShiftRange) * w : 0;
  const shear = cfg.shearRange ? rng.uniform(-cfg.shearRange, cfg.shearRange) : 0;
  let zx = 1,
    zy = 1;
  if (cfg.zoomRange[0] !== 1 || cfg.zoomRange[1] !== 1) {
    zx = rng.uniform(cfg.zoomRange[0], cfg.zoomRange[1]);
    zy = rng.uniform(cfg.zoomRange[0], cfg.zoomRange[1]);
  }
  const flip = cfg.horizontalFlip ? rng.next() < 0.5 : false;
  return { theta, tx, ty, shear, zx, zy, flip };
}

type M3 = number[][];
/** a · b, each entry summed from 0 in order (((0 + a₀b₀) + a₁b₁) + a₂b₂), written out: as map/reduce, a batch's 8 matrices took 51 µs, here 29. */
const mul = (a: M3, b: M3): M3 => {
  const out: M3 = [new Array(3), new Array(3), new Array(3)];
  for (let i = 0; i < 3; i++)
    for (let j = 0; j < 3; j++) out[i][j] = 0 + a[i][0] * b[0][j] + a[i][1] * b[1][j] + a[i][2] * b[2][j];
  return out;
};

/**
 * The 3×3 output→input matrix of Keras' `apply_affine_transform` (+ flip), for an h×w image, in (x = column,
 * y = row) pixel coordinates.
 *
 * @see notebooks/01-data.ipynb
 */
export function transformMatrix(p: TransformParams, h = PAPER.imageSize, w = PAPER.imageSize): M3 {
  const t = (p.theta * Math.PI) / 180;
  const s = (p.shear * Math.PI) / 180;
  const rotation = [
    [Math.cos(t), -Math.sin(t), 0],
    [Math.sin(t), Math.cos(t), 0],
    [0, 0, 1],
  ];
  const shift = [
    [1, 0, p.tx],
    [0, 1, p.ty],
    [0, 0, 1],
  ];
  const shearM = [
    [1, -Math.sin(s), 0],
    [0, Math.cos(s), 0],
    [0, 0, 1],
  ];
  const zoom = [
    [p.zx, 0, 0],
    [0, p.zy, 0],
    [0, 0, 1],
  ];
  let m = mul(mul(mul(rotation, shift), shearM), zoom);
  // transform_matrix_offset_center: rotate/zoom about the image centre.
  const ox = w / 2 - 0.5,
    oy = h / 2 - 0.5;
  m = mul(
    mul(
      [
        [1, 0, ox],
        [0, 1, oy],
        [0, 0, 1],
      ],
      m,
    ),
    [
      [1, 0, -ox],
      [0, 1, -oy],
      [0, 0, 1],
    ],
  );
  if (p.flip)
    m = mul(m, [
      [-1, 0, w - 1],
      [0, 1, 0],
      [0, 0, 1],
    ]);
  return m;
}

/** The 8 numbers `tf.image.transform` takes for a matrix [a0 a1 a2; b0 b1 b2; c0 c1 1]. */
export function toTfTransform(m: M3): number[] {
  return [m[0][0], m[0][1], m[0][2], m[1][0], m[1][1], m[1][2], m[2][0], m[2][1]];
}

/**
 * Apply given per-image parameters to a batch [n, h, w, c]: each image's output→input matrix
 * ({@link transformMatrix}) goes to `tf.image.transform` as it is (no inverse), in one call for the batch on cpu-fast
 * and tfjs-node, one call per image on the stock cpu backend.
 *
 * @see notebooks/01-data.ipynb
 */
export function applyTransforms(x: Tensor4D, params: TransformParams[]): Tensor4D {
  const [n, h, w] = x.shape;
  if (params.length !== n) throw new Error(`need ${n} transforms, got ${params.length}`);
  return tf.tidy(() => {
    const matrices = params.map((p) => toTfTransform(transformMatrix(p, h, w)));
    // One call for the batch where the kernel is right for batches: cpu-fast's own (lib/kernels/transform.ts, each
    // image bit-identical to the stock kernel on that image alone) and tfjs-node's.
    if (tf.getBackend() !== "cpu") return tf.image.transform(x, tf.tensor2d(matrices, [n, 8]), "bilinear", "nearest");
    // On the stock cpu backend, one tf.image.transform per image: tfjs 4.22's cpu Transform kernel returns from
    // inside its batch loop, so for a batch of n > 1 only the first image is transformed and the others come back as
    // the fill value 0 (tfjs-backend-cpu/dist/kernels/Transform.js; the test "identity parameters …" catches it).
    const images = tf.split(x, n, 0) as Tensor4D[];
    const out = images.map((img, i) =>
      tf.image.transform(img, tf.tensor2d([matrices[i]], [1, 8]), "bilinear", "nearest"),
    );
    return (n === 1 ? out[0] : tf.concat(out, 0)) as Tensor4D;
  });
}

/** Augment a batch with freshly drawn random parameters (Section 2.1); `rng` makes it reproducible. */
export function augmentBatch(x: Tensor4D, rng: Rng, cfg: AugmentConfig = PAPER.augment): Tensor4D {
  const [n, h, w] = x.shape;
  return applyTransforms(
    x,
    Array.from({ length: n }, () => drawParams(rng, cfg, h, w)),
  );
}

/** Caption lines for a transform's parameters, one per part that is not the identity. */
export function paramsCaption(p: TransformParams): string[] {
  const n = (v: number, d = 1) => v.toFixed(d).replace("-", "−");
  const lines: string[] = [];
  if (p.theta) lines.push(`rotate ${n(p.theta)}°`);
  if (p.tx || p.ty) lines.push(`shift ${n(p.tx)}, ${n(p.ty)} px`);
  if (p.shear) lines.push(`shear ${n(p.shear, 2)}°`);
  if (p.zx !== 1 || p.zy !== 1) lines.push(`zoom ${n(p.zx, 2)} × ${n(p.zy, 2)}`);
  if (p.flip) lines.push("flipped");
  return lines.length ? lines : ["identity"];
}

/** The gallery of notebook 01: each of the paper's transforms alone at its extreme, then random draws. */
export function galleryParams(
  cfg = PAPER.augment,
  size = PAPER.imageSize,
  randomDraws = 8,
  seed = 0,
): { title: string; params: TransformParams }[] {
  const I = IDENTITY;
  const hs = cfg.heightShiftRange * size;
  const ws = cfg.widthShiftRange * size;
  const out: { title: string; params: TransformParams }[] = [
    { title: "original", params: I },
    { title: `rotation +${cfg.rotationRange}°`, params: { ...I, theta: cfg.rotationRange } },
    { title: `rotation −${cfg.rotationRange}°`, params: { ...I, theta: -cfg.rotationRange } },
    { title: `tx +${hs.toFixed(1)} px`, params: { ...I, tx: hs } },
    { title: `ty +${ws.toFixed(1)} px`, params: { ...I, ty: ws } },
    { title: `shear ${cfg.shearRange}° (paper)`, params: { ...I, shear: cfg.shearRange } },
    { title: "shear 20° (to see it)", params: { ...I, shear: 20 } },
    { title: `zoom ${cfg.zoomRange[0]}`, params: { ...I, zx: cfg.zoomRange[0], zy: cfg.zoomRange[0] } },
    { title: `zoom ${cfg.zoomRange[1]}`, params: { ...I, zx: cfg.zoomRange[1], zy: cfg.zoomRange[1] } },
    { title: "horizontal flip", params: { ...I, flip: cfg.horizontalFlip } },
  ];
  const rng = new Rng(seed);
  for (let i = 0; i < randomDraws; i++)
    out.push({ title: `random draw ${i + 1}`, params: drawParams(rng, cfg, size, size) });
  return out;
}

/** Apply each gallery transform (lib/augment applyTransforms) to one RGB image; cells captioned with the parameters. */
export function augmentationGallery(
  image: Float32Array,
  entries = galleryParams(),
  size = PAPER.imageSize,
): GridCell[] {
  const out = tf.tidy(() => {
    const x = tf.tensor4d(image, [1, size, size, 3]);
    const batch = tf.concat(
      entries.map(() => x),
      0,
    ) as Tensor4D;
    return applyTransforms(
      batch,
      entries.map((e) => e.params),
    );
  });
  const data = out.dataSync() as Float32Array;
  out.dispose();
  const per = size * size * 3;
  return entries.map((e, i) => ({
    picture: { data: data.slice(i * per, (i + 1) * per), width: size, height: size, channels: 3 },
    caption: [e.title, ...(e.title.startsWith("random") ? paramsCaption(e.params) : [])],
  }));
}
