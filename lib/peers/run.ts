/**
 * `npm run peers`' work: each pretrained model of lib/peers/models.ts on every CK+48 image, its probabilities kept
 * (data/runs/peers/peers.json). Node: it loads the data set and the packages.
 */
import { loadDataset, imagesTensor } from "../data/dataset";
import { activeBackend } from "../tf";
import { PEER_NAMES, loadPeer, type PeerName } from "./models";
import type { PeerRecord } from "./compare";

/** Images per forward pass: small enough for the 112×112 inputs to stay well under a gigabyte. */
const BATCH = 64;

/** Run the peers on a CK+48 folder; `log` hears each batch: which model of how many, images done, time left. */
export async function runPeers(
  dataDir: string,
  names: readonly PeerName[] = PEER_NAMES,
  log: (line: string) => void = () => undefined,
): Promise<PeerRecord> {
  const ds = await loadDataset(dataDir);
  const peers: PeerRecord["peers"] = [];
  for (const [k, name] of names.entries()) {
    const t0 = performance.now();
    const loaded = await loadPeer(name);
    const probs: number[][] = [];
    for (let start = 0; start < ds.files.length; start += BATCH) {
      const idx = ds.files.slice(start, start + BATCH).map((_, i) => start + i);
      const x = imagesTensor(ds, idx);
      for (const row of await loaded.predict(x)) probs.push(row.map((v) => Number(v.toFixed(6))));
      x.dispose();
      const s = (performance.now() - t0) / 1000;
      const left = (s / probs.length) * (ds.files.length - probs.length);
      log(
        `peers: ${name} (${k + 1} of ${names.length}): ${probs.length} of ${ds.files.length} images, ${s.toFixed(0)} s, about ${left.toFixed(0)} s left`,
      );
    }
    loaded.dispose();
    peers.push({
      name,
      package: loaded.peer.package,
      version: loaded.version,
      outputs: [...loaded.peer.outputs],
      seconds: Number(((performance.now() - t0) / 1000).toFixed(1)),
      probs,
    });
  }
  return {
    method:
      "Each model on all 981 CK+48 crops as they are (48×48, read as RGB in [0, 1]), preprocessed as its package does; no face detection, since the crops are faces already. Probabilities in the model's own output order.",
    backend: activeBackend(),
    files: ds.files,
    peers,
  };
}
