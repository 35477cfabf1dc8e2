/**
 * Notebook 08-explain's own code: which test images it explains, the regions' captions, and the committed regions over
 * seeds. The methods are lib/explain/ (attribution, overlay, regions, the region study, faces).
 */
import * as fs from "fs";
import * as path from "path";
import { RUNS } from "../paths";
import type { RunRecord } from "../record";
import type { Region } from "../explain/regions";
import { loadRegions, type RegionSummary } from "../explain/region-study";


/** The committed regions over seeds (`npm run explain -- --regions`), if present (checked: lib/explain/region-study loadRegions). */
export function findRegions(file = path.join(RUNS, "explain", "regions.json")): RegionSummary | undefined {
  return fs.existsSync(file) ? loadRegions(file) : undefined;
}

/** The FACS table, the same as figures/explain-regions.md's. */
export { facsMarkdown } from "../figures/explain";

/** The test files notebook 08 explains: the run's test set, or every fourth image of it in the quick setting (CI). */
export function explainedTestFiles(record: RunRecord, quick: boolean): string[] {
  return quick ? record.split.test.filter((_, i) => i % 4 === 0) : record.split.test;
}

/** One caption line per face region: its name and rows. */
export function regionCaptions(regions: Region[]): string[] {
  return regions.filter((r) => r.name !== "rest").map((r) => `${r.name}: rows ${r.box.top}–${r.box.bottom}`);
}

/** The facts this notebook's prose cites by name, beside lib/notebooks/facts.ts commonFacts (tied in cell metadata). */
export function proseFacts(): Record<string, number> {
  return {};
}
