/** `npm run manifest -- [--data DIR]`: (re)write data/manifest.csv from a CK+48 folder (maintainers only). */
import "./guard";
import * as fs from "fs";
import { makeManifest, manifestCsv } from "../data";
import { MANIFEST, resolveDataDir } from "../paths";
import { runCommand, UserError } from "../errors";

runCommand("manifest", async () => {
  const args = process.argv.slice(2);
  let data: string | undefined;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--data" && args[i + 1]) data = args[++i];
    else throw new UserError(`unknown argument "${args[i]}" (usage: npm run manifest -- [--data DIR])`);
  }
  const rows = makeManifest(resolveDataDir(data));
  fs.writeFileSync(MANIFEST + ".tmp", manifestCsv(rows));
  fs.renameSync(MANIFEST + ".tmp", MANIFEST);
  console.log(`wrote ${MANIFEST}: ${rows.length} images`);
});
