/**
 * A worker thread that trains folds (lib/folds.ts runFoldJobs): receives FoldJob messages, starts the backend each job
 * names (lib/tf.ts initBackend: a worker starts with no backend chosen), posts an "epoch" message per epoch and one
 * "done" (or "error") per job. Started through a tiny bootstrap that loads tsx first when running from source.
 */
import { parentPort } from "worker_threads";
import { initBackend } from "./tf";
import { runFoldJob, type FoldJob, type WorkerMessage } from "./folds";

if (!parentPort) throw new Error("fold-worker.ts runs only as a worker thread");
const port = parentPort;
let stop = false;
port.on("message", (m: FoldJob | { type: "stop" }) => {
  if ("type" in m) {
    stop = true; // Ctrl-C in the main thread: finish the current batch, keep the last epoch's checkpoint
    return;
  }
  const job = m;
  new Promise<void>((resolve) => {
    initBackend(job.backend);
    resolve();
  })
    .then(() =>
      runFoldJob(
        job,
        (rec, info) => port.postMessage({ type: "epoch", fold: job.index, rec, info } satisfies WorkerMessage),
        () => stop,
      ),
    )
    .then(
      (outcome) => port.postMessage({ type: "done", outcome } satisfies WorkerMessage),
      (e: unknown) => {
        const err = e instanceof Error ? e : new Error(String(e));
        const user = err.name === "UserError";
        port.postMessage({
          type: "error",
          message: user ? err.message : (err.stack ?? err.message),
          interrupted: err.name === "Interrupted",
          user,
        } satisfies WorkerMessage);
      },
    );
});
