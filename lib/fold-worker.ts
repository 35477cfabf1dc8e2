/**
 * A worker thread that trains folds (lib/protocol.ts runFoldJobs): receives FoldJob messages, posts an "epoch"
 * message per epoch and one "done" (or "error") per job. Started through a tiny bootstrap that loads tsx first.
 */
import { parentPort } from "worker_threads";
import { runFoldJob, type FoldJob, type WorkerMessage } from "./protocol";

if (!parentPort) throw new Error("fold-worker.ts runs only as a worker thread");
const port = parentPort;
port.on("message", (job: FoldJob) => {
  runFoldJob(job, (rec, info) => port.postMessage({ type: "epoch", fold: job.index, rec, info } satisfies WorkerMessage)).then(
    (outcome) => port.postMessage({ type: "done", outcome } satisfies WorkerMessage),
    (e: unknown) => port.postMessage({ type: "error", message: e instanceof Error ? e.stack ?? e.message : String(e) } satisfies WorkerMessage),
  );
});
