/**
 * `npm run manifest`: (re)write data/manifest.csv from a CK+48 folder (maintainers only). Flags: the declaration
 * {@link MANIFEST_COMMAND} below.
 */
import "./guard";
import { MANIFEST, resolveDataDir, shown } from "../paths";
import { defineCommand, runCli, type Args } from "./args";

/** The flags of `npm run manifest` (the one declaration: parser, --help, usage line and README table). */
export const MANIFEST_COMMAND = defineCommand({
  name: "manifest",
  summary:
    "Rewrites `data/manifest.csv` (path, class, subject, sha256 of every image) from a CK+48 folder; for maintainers.",
  flags: {
    data: { type: "string", arg: "DIR", help: "the CK+48 folder", defaultText: "$CK48_DIR, else data/CK+48" },
  },
  env: { CK48_DIR: "the CK+48 folder when --data is not given" },
});

async function manifest(a: Args<typeof MANIFEST_COMMAND>): Promise<void> {
  const { makeManifest, manifestCsv } = require("../data") as typeof import("../data");
  const { writeAtomic } = require("../save") as typeof import("../save");
  const rows = makeManifest(resolveDataDir(a.data));
  writeAtomic(MANIFEST, manifestCsv(rows));
  console.log(`wrote ${shown(MANIFEST)}: ${rows.length} images`);
}

if (require.main === module) runCli(MANIFEST_COMMAND, manifest);
