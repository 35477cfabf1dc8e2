/**
 * The contribution of the facial regions (notebook 08, `npm run figures`): a class × region heat map of the accuracy
 * lost when the region is occluded, with the numbers in the cells, and its table. Pure: regions.json → spec /
 * Markdown. The per-class average maps and the gallery show faces, so they are drawn only where the images are (the
 * notebook, or `npm run figures` into the git-ignored figures/faces/), never committed (the data set's licence).
 */
import type { TopLevelSpec } from "vega-lite";
import { facsComparison, type RegionSummary } from "../explain/region-study";
import { markdownTable, signedInterval, signedPoints } from "../display/text";
import { clipInterval } from "../stats";

/** Whole signed percentage points. */
const pts = (x: number) => signedPoints(x, 0);
/** A t interval in points, cut to the possible range [−100, +100] (with 5 seeds and a handful of images of a class it can pass it). */
const ci = (t: { lo: number; hi: number }) => signedInterval(clipInterval(t, [-1, 1]), 0);

/** Class × region: mean accuracy change (points) when the region is filled with the mean face, over seeds. */
export function specRegions(s: RegionSummary): TopLevelSpec {
  const values = s.effects.map((e) => ({
    class: e.class,
    region: e.region,
    delta: 100 * e.delta.mean,
    label: `${pts(e.delta.mean)}`,
  }));
  const x = {
    field: "region",
    type: "nominal" as const,
    sort: s.regions.map((r) => r.name),
    title: "occluded region",
    axis: { labelAngle: 0 },
  };
  const y = { field: "class", type: "nominal" as const, sort: s.classes, title: null };
  return {
    title: {
      text: "What each facial region is worth",
      subtitle: `test accuracy change (points) with the region replaced by the mean face; mean over ${s.seeds.length} seeds (subject split)`,
    },
    width: 360,
    height: 230,
    data: { values },
    layer: [
      {
        mark: { type: "rect" },
        encoding: {
          x,
          y,
          color: { field: "delta", type: "quantitative", title: "points", scale: { scheme: "redblue", domainMid: 0 } },
        },
      },
      { mark: { type: "text", fontSize: 11 }, encoding: { x, y, text: { field: "label", type: "nominal" } } },
    ],
  };
}

/** Per class: the region whose occlusion costs most (points, 95% t interval cut to ±100), FACS' action units and regions, and whether they agree (notebook 08 and explain-regions.md). */
export function facsMarkdown(s: RegionSummary): string {
  const images = (c: string) => s.effects.find((e) => e.class === c)!.images.mean.toFixed(1);
  return (
    markdownTable(
      ["class", "test images per seed", "costliest region", "points", "FACS action units", "FACS regions", "agrees"],
      facsComparison(s).map((f) => [
        f.class,
        images(f.class),
        f.region,
        f.delta.t ? `${pts(f.delta.mean)} ${ci(f.delta.t)}` : pts(f.delta.mean),
        f.units,
        f.expected.join(", "),
        f.agrees ? "yes" : "**no**",
      ]),
      ["l", "r", "l", "r", "l", "l", "l"],
    ) +
    "\n\n" +
    facsSentences(s)
      .map((x) => `- ${x}`)
      .join("\n")
  );
}

/**
 * One sentence per class, from the numbers: the costliest region with its interval, whether that interval excludes
 * zero, the other regions whose interval excludes zero, and what FACS predicts.
 */
export function facsSentences(s: RegionSummary): string[] {
  return facsComparison(s).map((f) => {
    const sure = (e: { delta: RegionSummary["effects"][number]["delta"] }) => !!e.delta.t && e.delta.t.hi < 0;
    const also = s.effects
      .filter((e) => e.class === f.class && e.region !== f.region && e.region !== "rest" && sure(e))
      .map((e) => `${e.region} (${pts(e.delta.mean)})`);
    const iv = f.delta.t ? ` ${ci(f.delta.t)}` : "";
    const firm = sure(f) ? "" : ", an interval that includes no effect";
    const verdict = f.agrees
      ? `as FACS predicts (${f.units})`
      : `where FACS predicts ${f.expected.join(" and ")} (${f.units})`;
    return `**${f.class}**: occluding the ${f.region} costs ${pts(f.delta.mean)} points${iv}${firm}${also.length ? `; also ${also.join(", ")}` : ""}; ${verdict}.`;
  });
}

/** The region table (points, mean [95% t interval]) per class and region, with the boxes and how they were derived. */
export function regionsMarkdown(s: RegionSummary): string {
  const iv = (e: RegionSummary["effects"][number]) =>
    e.delta.t ? `${pts(e.delta.mean)} ${ci(e.delta.t)}` : pts(e.delta.mean);
  const ev = s.evidence;
  return [
    "# The contribution of the facial regions",
    "",
    `Each region replaced by the mean face in the test images of ${s.seeds.length} seeds' models (subject split): test accuracy change in points, mean [95% t interval over seeds, cut to ±100]. Made by \`npm run figures\` from \`data/runs/explain/regions.json\` (\`npm run explain -- --regions\`).`,
    "",
    markdownTable(
      ["class", ...s.regions.map((r) => r.name)],
      s.classes.map((c) => [
        c,
        ...s.regions.map((r) => iv(s.effects.find((e) => e.class === c && e.region === r.name)!)),
      ]),
      ["l", ...s.regions.map(() => "r" as const)],
    ),
    "",
    `Regions, derived from the mean face (lib/explain/regions.ts deriveRegions): eyes at row ${ev.eyeRow}, nostrils at row ${ev.noseRow}, mouth at row ${ev.mouthRow} (darkest rows of the central band), face from column ${ev.faceLeft} to ${ev.faceRight}, midline at column ${ev.midline}.`,
    "",
    markdownTable(
      ["region", "rows", "columns", "pixels"],
      s.regions.map((r) => [r.name, `${r.box.top}–${r.box.bottom}`, `${r.box.left}–${r.box.right}`, r.pixels]),
      ["l", "r", "r", "r"],
    ),
    "",
    "## Against FACS",
    "",
    "Per class, the region whose occlusion costs the most accuracy (mean over seeds, 95% t interval), beside the regions the emotion's action units move (lib/explain/regions.ts FACS: Ekman & Friesen 1978, the CK+ criteria of Lucey et al. 2010). An interval that excludes 0 says the region matters for that class.",
    "",
    facsMarkdown(s),
    "",
    `Sanity check (Adebayo et al. 2018), rank correlation of the trained model's maps with a random model's: ${s.sanity.map((x) => `${x.method} ${x.correlation.mean.toFixed(2)}${x.correlation.t ? ` [${x.correlation.t.lo.toFixed(2)}, ${x.correlation.t.hi.toFixed(2)}]` : ""}`).join("; ")} (1 would mean the method ignores what the model learned).`,
    "",
    `Method: ${s.method}`,
    "",
  ].join("\n");
}
