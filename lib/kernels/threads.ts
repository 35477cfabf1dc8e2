/**
 * A second thread for the convolutions (node only): `setKernelThreads(2)` moves every kernel onto the shared build of
 * the WebAssembly module (wasm-binary.ts), starts one worker thread with an instance over the same memory, and lets
 * parallel.ts hand it the second part of each convolution. `setKernelThreads(1)` goes back to the own-memory build.
 *
 * Why by hand: the parts are 0.05–1 ms long, 8 of them per training step, so a message per part (postMessage, a
 * worker pool library) would cost more than it saves. The two threads meet on a few words of the shared memory with
 * Atomics: the worker spins briefly, then sleeps in Atomics.wait; the caller runs its part, then waits the same way.
 */
import { Worker } from "worker_threads";
import { Arena, compileWasm, instantiateWasm, setWasmArena, type ConvExports } from "./wasm";
import { PARTED_KERNELS, setPartRunner, type PartRunner, type PartedKernel } from "./parallel";

/** Words of the signal block: [job, done, kernel, argument count, arguments...]. */
const CTL_WORDS = 32;
/** Polls before the caller, waiting for the other part, sleeps (well over any part's length). */
const SPINS = 100_000;
/**
 * Milliseconds the worker polls for the next part before it sleeps: longer than the gaps between a training step's
 * convolutions and between steps, because waking a sleeping thread costs 0.05–0.2 ms, as much as a part saves.
 */
const WORKER_SPIN_MS = 20;

/** The worker: an instance over the shared memory, running the kernel parts it is signalled. Plain JS, no imports. */
const WORKER_SOURCE = `
const { workerData } = require("worker_threads");
const { module, memory, at, names, spinMs } = workerData;
const fn = new WebAssembly.Instance(module, { env: { memory, abort() { throw new Error("wasm abort"); } } }).exports;
const ctl = new Int32Array(memory.buffer, at, ${CTL_WORDS});
let seen = 0;
for (;;) {
  let n = 0, t0 = performance.now();
  while (Atomics.load(ctl, 0) === seen) {
    if ((++n & 1023) === 0 && performance.now() - t0 > spinMs) { Atomics.wait(ctl, 0, seen); t0 = performance.now(); }
  }
  seen = Atomics.load(ctl, 0);
  const op = ctl[2];
  if (op < 0) break;
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

  run(fn: ConvExports, name: PartedKernel, parts: number[][]): void {
    const [mine, theirs, ...rest] = parts;
    if (rest.length) throw new Error(`threads: ${parts.length} parts for 2 threads`);
    const c = this.ctl;
    c[2] = PARTED_KERNELS.indexOf(name);
    c[3] = theirs.length;
    c.set(theirs, 4);
    const seq = (this.seq = (this.seq % 1_000_000_000) + 1);
    Atomics.store(c, 0, seq);
    Atomics.notify(c, 0);
    (fn[name] as (...a: number[]) => void)(...mine);
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
    workerData: { module: build.module, memory: build.memory, at, names: PARTED_KERNELS, spinMs: WORKER_SPIN_MS },
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
