/**
 * The comparisons the paper promised and never showed (notebook 07-ablations): named configurations, each `PAPER` plus typed
 * overrides and a one-line why. A variant's name and overrides go into its run records (`config.variant`,
 * `config.overrides`). The study runner treats variants as more jobs, so `--resume` and `--shard` work unchanged, and
 * seed s gives every variant the same split, folds and batch order: differences are measured per seed.
 */
import { PAPER, type ArchConfig, type AugmentConfig, type ProtocolConfig } from "./config";
import { UserError } from "./errors";
import { holm, tTestP } from "./stats";
import { parametersByHand } from "./model";
import type { StudySummary } from "./summary";

/** What a variant may change: any field of PAPER, the architecture and augmentation settings field by field. */
export type Overrides = Partial<Omit<ProtocolConfig, "arch" | "augment">> & {
  arch?: Partial<ArchConfig>;
  augment?: Partial<AugmentConfig>;
};

export interface Variant {
  name: string;
  /** What it tests and why a reviewer would ask. */
  why: string;
  overrides: Overrides;
}

/** The variants of notebook 07, `paper` first (the reference every difference is measured against). */
export const VARIANTS: readonly Variant[] = [
  { name: "paper", why: "The reference: the paper's method as reproduced (lib/config.ts PAPER).", overrides: {} },
  {
    name: "gray",
    why: "The PNGs are grey and the loader copies them to three equal channels: does RGB input cost or buy anything?",
    overrides: { channels: 1 },
  },
  {
    name: "no-augment",
    why: "Is the paper's augmentation (rotation, shift, zoom, flip) what makes the small CNN generalise to new people?",
    overrides: { augmentation: false },
  },
  {
    name: "dropout-0",
    why: "The paper gives no dropout rate (we use 0.5): does dropout matter at all?",
    overrides: { dropout: 0 },
  },
  { name: "dropout-0.25", why: "A milder dropout rate, between none and ours.", overrides: { dropout: 0.25 } },
  {
    name: "adam",
    why: "Adam (η = 1e-3), today's default optimiser, instead of RMSprop.",
    overrides: { optimizer: "adam", learningRate: 0.001 },
  },
  {
    name: "sgd-momentum",
    why: "SGD with momentum 0.9 (η = 0.01), the classic alternative to adaptive steps.",
    overrides: { optimizer: "sgd-momentum", learningRate: 0.01, momentum: 0.9 },
  },
  {
    name: "batch-32",
    why: "Batch 32 instead of 8: the paper's very small batch is slow; does it help?",
    overrides: { batchSize: 32 },
  },
  {
    name: "wide",
    why: "Twice the filters and units (12/32/128 filters, dense 256): is the model too small?",
    overrides: {
      arch: {
        convs: [
          { filters: 12, kernel: 5 },
          { filters: 32, kernel: 5 },
          { filters: 128, kernel: 3 },
        ],
        dense: 256,
      },
    },
  },
  {
    name: "narrow",
    why: "Half the filters and units (3/8/32 filters, dense 64): the other side of the capacity question (added: a reviewer asks both ways).",
    overrides: {
      arch: {
        convs: [
          { filters: 3, kernel: 5 },
          { filters: 8, kernel: 5 },
          { filters: 32, kernel: 3 },
        ],
        dense: 64,
      },
    },
  },
  {
    name: "batchnorm",
    why: "Batch normalisation after each convolution, the standard stabiliser the 2010s added to such CNNs.",
    overrides: { arch: { batchNorm: true } },
  },
  {
    name: "lr-0.0003",
    why: "RMSprop with a third of the learning rate (added: the learning rate is the hyper-parameter a reviewer checks first).",
    overrides: { learningRate: 0.0003 },
  },
];

/**
 * PAPER with a variant's overrides applied (the architecture and augmentation merged field by field).
 *
 * @see notebooks/07-ablations.ipynb
 */
export function applyOverrides(base: ProtocolConfig, o: Overrides): ProtocolConfig {
  return {
    ...base,
    ...o,
    arch: { ...base.arch, ...(o.arch ?? {}) },
    augment: { ...base.augment, ...(o.augment ?? {}) },
  } as ProtocolConfig;
}

/** A variant by name, or a UserError that lists the names. */
export function variant(name: string): Variant {
  const v = VARIANTS.find((x) => x.name === name);
  if (!v) throw new UserError(`unknown variant "${name}" (one of: ${VARIANTS.map((x) => x.name).join(", ")})`);
  return v;
}

/** The configurations of the named variants, for the study runner. */
export function variantConfigs(names: readonly string[], base: ProtocolConfig = PAPER): Record<string, ProtocolConfig> {
  return Object.fromEntries(names.map((n) => [n, applyOverrides(base, variant(n).overrides)]));
}

/**
 * The family-wise level of the comparisons: a variant is called better or worse than `paper` only when its paired t
 * test's p, Holm-adjusted over the variants compared on the split, is below it (notebook 07, README, figures).
 */
export const HOLM_LEVEL = 0.05;

/** A variant's test against `paper` on one split: the paired t test's p, and Holm's p over all the split's variants. */
export interface ComparisonTest {
  variant: string;
  split: string;
  /** Mean paired difference in test accuracy (variant − paper). */
  mean: number;
  /** Two-sided p of the paired t test over seeds (stats tTestP). */
  p: number;
  /** Holm-adjusted p over the variants compared on the split (stats holm): many variants, one family. */
  holm: number;
}

/**
 * The paired t test of every variant against `paper` on a split, with Holm's adjustment over the family: with 11
 * variants, one 95 % interval in 20 excludes zero by chance, so "differs" is claimed only where Holm's p <
 * {@link HOLM_LEVEL}.
 *
 * @see notebooks/07-ablations.ipynb
 */
export function comparisonTests(s: StudySummary, split = "subject"): ComparisonTest[] {
  const cs = s.comparisons.filter((c) => c.split === split && c.accuracy.n >= 2);
  const ps = cs.map((c) => tTestP(c.accuracy));
  const adj = holm(ps);
  return cs.map((c, i) => ({ variant: c.variant, split, mean: c.accuracy.mean, p: ps[i], holm: adj[i] }));
}

/** What a comparison concludes: better or worse than `paper` (Holm-adjusted p below the level), or cannot be told apart. */
export type ComparisonVerdict = "better" | "worse" | "cannot be told apart";

/**
 * The rule the notebook, the forest plot and the README apply: a variant is **better** or **worse** than `paper`
 * when the Holm-adjusted p of its paired t test (over the variants of its split) is below `alpha`, in the direction
 * of its mean difference; otherwise the data cannot tell it apart. (An unadjusted 95 % interval that excludes zero is
 * not enough: with 11 variants, about one in 20 does so by chance.)
 *
 * @see notebooks/07-ablations.ipynb
 */
export function verdictOf(t: Pick<ComparisonTest, "mean" | "holm">, alpha = HOLM_LEVEL): ComparisonVerdict {
  return t.holm < alpha ? (t.mean > 0 ? "better" : "worse") : "cannot be told apart";
}

/** One field of a configuration that differs between two: its path ("arch.dense") and both values. */
export interface ConfigChange {
  field: string;
  from: unknown;
  to: unknown;
}

/**
 * The fields in which configuration `b` differs from `a`, by path, compared leaf by leaf (arrays element by element,
 * as `arch.convs.1.filters`): a variant's diff against PAPER, to check that it makes the one change it names.
 *
 * @see notebooks/07-ablations.ipynb
 */
export function configDiff(a: unknown, b: unknown, prefix = ""): ConfigChange[] {
  const isObj = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null;
  if (isObj(a) && isObj(b) && Array.isArray(a) === Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    return keys.flatMap((k) => configDiff(a[k], b[k], prefix ? `${prefix}.${k}` : k));
  }
  return Object.is(a, b) ? [] : [{ field: prefix, from: a, to: b }];
}

/** Each variant's parameter count, by hand from its architecture (lib/model parametersByHand; tested equal to tfjs'). */
export function variantParameters(): Record<string, number> {
  return Object.fromEntries(
    VARIANTS.map((v) => [
      v.name,
      parametersByHand(applyOverrides(PAPER, v.overrides)).reduce((a, r) => a + r.params, 0),
    ]),
  );
}
