/** A map drawn over a face: a perceptual colour map and the overlay picture. Pure (the demo's page uses it too). */
import type { Picture } from "../display/pictures";

/** A perceptual colour map (viridis' end points and three stops between), value in [0, 1] → RGB in [0, 1]. */
export function colormap(v: number): [number, number, number] {
  const stops: [number, number, number][] = [
    [0.267, 0.005, 0.329],
    [0.231, 0.322, 0.545],
    [0.128, 0.567, 0.551],
    [0.369, 0.789, 0.383],
    [0.993, 0.906, 0.144],
  ];
  const t = Math.min(1, Math.max(0, v)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(t));
  const f = t - i;
  return [0, 1, 2].map((c) => stops[i][c] + f * (stops[i + 1][c] - stops[i][c])) as [number, number, number];
}

/**
 * A map over a face, as a picture: the face in grey, the map (stretched to its own range, or to `range`) in colour
 * with opacity `alpha` × the map's value, so weak parts of the map leave the face visible.
 */
export function overlay(
  face: ArrayLike<number>,
  map: Float32Array,
  side: number,
  opts: { alpha?: number; range?: [number, number] } = {},
): Picture {
  const alpha = opts.alpha ?? 0.6;
  let lo = opts.range?.[0] ?? Infinity;
  let hi = opts.range?.[1] ?? -Infinity;
  if (!opts.range)
    for (const v of map) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  const channels = face.length / (side * side);
  const out = new Float32Array(side * side * 3);
  for (let p = 0; p < side * side; p++) {
    const g = face[p * channels];
    const v = hi > lo ? (map[p] - lo) / (hi - lo) : 0;
    const [r, gg, b] = colormap(v);
    const a = alpha * v;
    out[p * 3] = (1 - a) * g + a * r;
    out[p * 3 + 1] = (1 - a) * g + a * gg;
    out[p * 3 + 2] = (1 - a) * g + a * b;
  }
  return { data: out, width: side, height: side, channels: 3 };
}
