// The one last line of .ci/run: "N passed, N failed, N skipped", summed over the steps' count files (out/ci/*.json,
// written by scripts/mocha-reporter.js and by .ci/run for its single checks). A step whose file is missing failed
// before it could count: it counts as one failure.
"use strict";
const fs = require("fs");
const path = require("path");

const dir = process.argv[2];
const steps = process.argv.slice(3);
let passed = 0;
let failed = 0;
let skipped = 0;
for (const step of steps) {
  const file = path.join(dir, `${step}.json`);
  let c;
  try {
    c = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch {
    console.log(`ci: ${step}: no counts (${file}); it failed before counting`);
    failed += 1;
    continue;
  }
  passed += c.passes;
  failed += c.failures;
  skipped += c.pending ?? 0;
  for (const f of c.failed ?? []) console.log(`ci: ${step}: FAILED ${f.title}: ${String(f.message).split("\n")[0]}`);
  console.log(`ci: ${step}: ${c.passes} passed, ${c.failures} failed, ${c.pending ?? 0} skipped`);
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exitCode = failed ? 1 : 0;
