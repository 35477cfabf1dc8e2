/**
 * A second thread for the convolutions (node only): `setKernelThreads(2)` moves every kernel onto the shared build of
 * the WebAssembly module (wasm-binary.ts), starts one worker thread with an instance over the same memory, and lets
 * parallel.ts hand it the second part of each convolution. `setKernelThreads(1)` goes back to the own-memory build.
 *
 * Why by hand: the parts are 0.05–1 ms long, 3 to 8 of them per training step, so a message per part (postMessage,
 * a worker pool library) would cost more than it saves. The two threads meet on a few words of the shared memory
 * with Atomics. After a part the worker polls for the next one for up to {@link WORKER_SPIN_MS}, then sleeps in
 * Atomics.wait. The gaps between a training step's parts (the dense head before the backward pass, the optimiser and
 * the next batch before the next forward pass) are 0.3–0.4 ms, and a wake-up from sleep cost about 0.1 ms per part
 * on an Intel Xeon VM (2026-12-03): polling through them made the two-thread epoch 4–6 % faster, and the head's
 * JavaScript on the first core no slower (0.33 vs 0.34 ms). An earlier AMD machine showed a second core kept busy
 * slowing the first one's JavaScript, so the poll stops after a step's worth of gap: the worker sleeps whenever
 * training pauses (validation, a fold with one thread). The trunk's parts take images from a counter, so a late
 * start only means fewer images for the worker. The caller runs its part, then spins briefly and sleeps until the
 * worker is done.
 */
import { Worker } from "worker_threads";
import { Arena, compileWasm, instantiateWasm, setWasmArena, type ConvExports } from "./wasm";
import { PARTED_KERNELS, setPartRunner, type PartRunner, type PartedKernel } from "./parallel";

/** Words of the signal block: [job, done, kernel, argument count, arguments...]. */
const CTL_WORDS = 32;
/** Polls before the caller, waiting for the other thread to finish its last image or task, sleeps. */
const SPINS = 100_000;
/** Milliseconds the worker polls for its next part before it sleeps (longer than the gaps within a step). */
export const WORKER_SPIN_MS = 0.5;

/** The worker: an instance over the shared memory, running the kernel parts it is signalled. Plain JS, no imports. */
const WORKER_SOURCE = `
const { workerData } = require("worker_threads");
const { module, memory, at, names } = workerData;
const fn = new WebAssembly.Instance(module, { env: { memory, abort() { throw new Error("wasm abort"); } } }).exports;
const ctl = new Int32Array(memory.buffer, at, ${CTL_WORDS});
let seen = 0;
for (;;) {
  for (const until = performance.now() + ${WORKER_SPIN_MS}; Atomics.load(ctl, 0) === seen && performance.now() < until; );
  while (Atomics.load(ctl, 0) === seen) Atomics.wait(ctl, 0, seen);
  seen = Atomics.load(ctl, 0);
  const op = ctl[2];
  let done = seen;
  try { fn[names[op]](...ctl.subarray(4, 4 + ctl[3])); } catch { done = -seen; }
  Atomics.store(ctl, 1, done);
  Atomics.notify(ctl, 1);
}
`;

class TwoThreads implements PartRunner {
  readonly threads = 2;
  /** Parts the worker has run (tests check that it really ran them). */
  workerParts = 0;
  private seq = 0;
  constructor(
    readonly arena: Arena,
    private readonly ctl: Int32Array,
    readonly worker: Worker,
  ) {}

  run(fn: ConvExports, name: PartedKernel, parts: number[][], during?: () => void): void {
    const [mine, theirs, ...rest] = parts;
    if (rest.length) throw new Error(`threads: ${parts.length} parts for 2 threads`);
    const c = this.ctl;
    c[2] = PARTED_KERNELS.indexOf(name);
    c[3] = theirs.length;
    c.set(theirs, 4);
    const seq = (this.seq = (this.seq % 1_000_000_000) + 1);
    Atomics.store(c, 0, seq);
    Atomics.notify(c, 0);
    // `during` may fail; the worker's part still has to end before anything else touches the memory
    let failed: { error: unknown } | undefined;
    try {
      during?.();
    } catch (error) {
      failed = { error };
    }
    if (!failed) (fn[name] as (...a: number[]) => void)(...mine);
    for (let n = 0; ;) {
      const d = Atomics.load(c, 1);
      if (d === seq) break;
      if (d === -seq) throw new Error(`threads: ${name} failed on the second thread`);
      if (++n > SPINS) {
        Atomics.wait(c, 1, d, 50);
        n = 0;
      }
    }
    this.workerParts++;
    if (failed) throw failed.error;
  }
}

/** The second thread, started on the first setKernelThreads(2) and kept (asleep when unused) for the process's life. */
let pool: TwoThreads | undefined;

function startPool(): TwoThreads {
  const build = compileWasm(true);
  const fn = instantiateWasm(build);
  const at = (fn.heapBase() + 15) & ~15;
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { module: build.module, memory: build.memory, at, names: PARTED_KERNELS },
  });
  worker.unref(); // it never keeps the process alive
  return new TwoThreads(new Arena(fn, CTL_WORDS * 4), new Int32Array(build.memory!.buffer, at, CTL_WORDS), worker);
}

/**
 * Run the convolutions on `n` threads (1 or 2) from now on. The results are the same bits either way (parallel.ts);
 * 2 pays off only when the other core is free, so the protocol, which trains two folds at once, stays on 1.
 */
export function setKernelThreads(n: number): void {
  if (n !== 1 && n !== 2) throw new Error(`kernel threads must be 1 or 2 (got ${n})`);
  if (n === 1) {
    setPartRunner(undefined);
    setWasmArena(undefined);
    return;
  }
  pool ??= startPool();
  setWasmArena(pool.arena);
  setPartRunner(pool);
}

/** Parts the second thread has run in this process (0 before any setKernelThreads(2)). */
export function workerParts(): number {
  return pool?.workerParts ?? 0;
}
