/**
 * A worker thread that trains folds (lib/folds.ts runFoldJobs): receives FoldJob messages, starts the backend each job
 * names (lib/tf.ts initBackend: a worker starts with no backend chosen), posts an "epoch" message per epoch and one
 * "done" (or "error") per job; a "threads" command moves its kernels onto that many threads (the last fold running). Started through a tiny bootstrap that loads tsx first when running from source.
 */
import { parentPort } from "worker_threads";
import { initBackend } from "./tf";
import { runFoldJob, type FoldJob, type WorkerCommand, type WorkerMessage } from "./folds";
import { setKernelThreads } from "./kernels/threads";
import { kernelThreads } from "./kernels/parallel";

if (!parentPort) throw new Error("fold-worker.ts runs only as a worker thread");
const port = parentPort;
let stop = false;
port.on("message", (m: FoldJob | WorkerCommand) => {
  if ("type" in m) {
    // Ctrl-C in the main thread: finish the current batch, keep the last epoch's checkpoint. Or: this fold is the
    // last one running, and a core is free (taken between batches, after stopIfAsked's turn of the event loop).
    if (m.type === "stop") stop = true;
    else setKernelThreads(m.n);
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
        (rec, info) =>
          port.postMessage({
            type: "epoch",
            fold: job.index,
            rec,
            info,
            threads: kernelThreads(),
          } satisfies WorkerMessage),
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
