/**
 * `npm run peers`: the pretrained expression models a JavaScript user would pick from npm (lib/peers/models.ts),
 * run on every CK+48 image; their probabilities go to data/runs/peers/peers.json, which `npm run figures` turns into
 * figures/peers.md beside our CNN. Flags: the declaration {@link PEERS_COMMAND} below.
 */
import * as path from "path";
import { checkOutputDir, checkOutsideData, resolveDataDir, shown } from "../paths";
import { initBackend, activeBackend } from "../tf";
import { writeAtomic } from "../files";
import { PEER_NAMES, type PeerName } from "../peers/models";
import { PEERS_FILE } from "../peers/compare";
import { runPeers } from "../peers/run";
import { defineCommand, defineCli, runCli, type Args } from "./args";
import { BACKEND_FLAG, DATA_FLAG, ENV } from "./flags";

/** The flags of `npm run peers` (the one declaration: parser, --help, usage line and README table). */
export const PEERS_COMMAND = defineCommand({
  name: "peers",
  summary:
    "Runs @vladmandic/human's emotion model and @vladmandic/face-api's faceExpressionNet on every CK+48 image and writes their probabilities to `data/runs/peers/peers.json` (about 3 min).",
  flags: {
    only: { type: "choice", choices: PEER_NAMES, help: "run one model only", defaultText: "both" },
    out: { type: "string", arg: "FILE", help: "where the JSON goes", defaultText: "data/runs/peers/peers.json" },
    data: { ...DATA_FLAG, help: "the CK+48 folder" },
    backend: BACKEND_FLAG,
  },
  env: ENV,
});

async function peers(a: Args<typeof PEERS_COMMAND>): Promise<void> {
  const out = path.resolve(a.out ?? PEERS_FILE);
  checkOutputDir(path.dirname(out), "--out");
  checkOutsideData(out, resolveDataDir(a.data));
  const names: readonly PeerName[] = a.only ? [a.only] : PEER_NAMES;
  console.log(`peers: backend ${activeBackend()}, ${names.join(" and ")}`);
  const record = await runPeers(resolveDataDir(a.data), names, (line) => console.log(line));
  writeAtomic(out, JSON.stringify(record) + "\n");
  console.log(
    `peers: wrote ${shown(out)} (${record.files.length} images; ${record.peers.map((p) => `${p.name} ${p.seconds} s`).join(", ")})`,
  );
}

export const peersCommand = defineCli(PEERS_COMMAND, peers, { initBackend });

if (require.main === module) runCli(peersCommand);
