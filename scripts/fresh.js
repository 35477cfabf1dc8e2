// Before a command: rebuild dist/ (npm run build) when any lib/**/*.ts is newer than the last build, so a command
// never runs stale JavaScript after you edit lib/. Plain JavaScript, a few milliseconds when nothing changed.
"use strict";
const fs = require("fs");
const path = require("path");
const { execFileSync } = require("child_process");

const root = path.resolve(__dirname, "..");
const stamp = path.join(root, "dist", ".built");
const built = fs.existsSync(stamp) ? fs.statSync(stamp).mtimeMs : -Infinity;

function newer(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory() ? newer(p) : e.name.endsWith(".ts") && fs.statSync(p).mtimeMs > built) return true;
  }
  return false;
}

if (newer(path.join(root, "lib"))) {
  process.stderr.write("build: lib/ changed since the last build; compiling it into dist/ (npm run build) …\n");
  try {
    execFileSync(
      process.execPath,
      [require.resolve("typescript/bin/tsc"), "-p", path.join(root, "tsconfig.build.json")],
      { stdio: "inherit" },
    );
  } catch {
    process.stderr.write(
      "build: the TypeScript in lib/ does not compile (see above); fix it, or run the command from source: npx tsx lib/cli/<command>.ts\n",
    );
    process.exit(2);
  }
  fs.writeFileSync(stamp, new Date().toISOString() + "\n");
}
