/**
 * `npm run manifest`: (re)write data/manifest.csv from a CK+48 folder (maintainers only). Flags: the declaration
 * {@link MANIFEST_COMMAND} below.
 */
import { MANIFEST, resolveDataDir, shown } from "../paths";
import { makeManifest, manifestCsv } from "../data/manifest";
import { writeAtomic } from "../files";
import { defineCommand, defineCli, runCli, type Args } from "./args";
import { DATA_FLAG, ENV } from "./flags";

/** The flags of `npm run manifest` (the one declaration: parser, --help, usage line and README table). */
export const MANIFEST_COMMAND = defineCommand({
  name: "manifest",
  summary:
    "Rewrites `data/manifest.csv` (path, class, subject, sha256 of every image) from a CK+48 folder; for maintainers.",
  flags: {
    data: { ...DATA_FLAG, help: "the CK+48 folder" },
  },
  env: { CK48_DIR: ENV.CK48_DIR },
});

async function manifest(a: Args<typeof MANIFEST_COMMAND>): Promise<void> {
  const rows = makeManifest(resolveDataDir(a.data));
  writeAtomic(MANIFEST, manifestCsv(rows));
  console.log(`wrote ${shown(MANIFEST)}: ${rows.length} images`);
}

export const manifestCommand = defineCli(MANIFEST_COMMAND, manifest);

if (require.main === module) runCli(manifestCommand);
