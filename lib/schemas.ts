/**
 * zod schemas of the shapes lib/stats.ts writes into the committed summaries (lib/summary.ts, lib/explain/
 * region-study.ts), so each summary's schema is built from the same pieces its writer used.
 */
import { z } from "zod";
import type { Interval, Spread } from "./stats";

/** A JSON number that may be non-finite in memory: NaN and ±Infinity are written as null (JSON has neither) and come back as NaN. */
export const NUM = z
  .number()
  .nullable()
  .transform((v) => v ?? NaN);

/** lib/stats.ts Interval. */
export const INTERVAL: z.ZodType<Interval, unknown> = z.object({ lo: NUM, hi: NUM });

/** lib/stats.ts Spread: a sample's mean, sd, extremes and its intervals (null for fewer than two values). */
export const SPREAD: z.ZodType<Spread, unknown> = z.object({
  n: z.number().int().nonnegative(),
  mean: NUM,
  sd: NUM,
  t: INTERVAL.nullable(),
  bootstrap: INTERVAL.nullable(),
  min: NUM,
  max: NUM,
});
