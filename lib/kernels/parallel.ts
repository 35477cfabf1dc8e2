/**
 * How the convolutions share their work between threads, browser-safe: a kernel call is cut into parts that write
 * disjoint outputs and sum every output in the order one whole call would, so the bits never depend on the thread
 * count. With one thread (the default, and always in the demo's page) the parts run one after the other here;
 * threads.ts (node) installs a runner that gives the second part to a second thread.
 */
import type { ConvExports } from "./wasm";

/** The kernels that are cut into parts (asm/conv.ts, asm/trunk.ts). */
export const PARTED_KERNELS = [
  "convForward",
  "convBackpropFilter",
  "convBackpropInput",
  "trunkForward",
  "trunkBackward",
  "trunkGradients",
] as const;
export type PartedKernel = (typeof PARTED_KERNELS)[number];

/**
 * Runs a kernel's parts, the first on the calling thread; returns when all are done. `during`, when given, runs on
 * the calling thread after the other parts have started and before its own (it must not touch their memory).
 */
export interface PartRunner {
  readonly threads: number;
  run(fn: ConvExports, name: PartedKernel, parts: number[][], during?: () => void): void;
}

let runner: PartRunner | undefined;

/** Threads the convolutions run on: 1, or 2 after threads.ts `setKernelThreads(2)`. */
export function kernelThreads(): number {
  return runner?.threads ?? 1;
}

/** Install (or, undefined, remove) the runner of parts (threads.ts). */
export function setPartRunner(next: PartRunner | undefined): void {
  runner = next;
}

/**
 * Run `name` once per argument list in `parts`, on as many threads as there are (parts may not overlap in output).
 * `during` runs on this thread while the other thread has started its part (with one thread: first): other work
 * that the kernel's parts do not depend on, so that the second thread is not idle meanwhile. Kernels whose parts
 * take work from a counter (asm/trunk.ts) then simply give this thread less.
 */
export function runParts(fn: ConvExports, name: PartedKernel, parts: number[][], during?: () => void): void {
  if (runner && parts.length > 1) return runner.run(fn, name, parts, during);
  during?.();
  const f = fn[name] as (...args: number[]) => void;
  for (const p of parts) f(...p);
}

/** Split `n` items into one range per thread, as even as possible (the first part the larger). */
export function splitRange(n: number, threads = kernelThreads()): [number, number][] {
  if (threads < 2 || n < 2) return [[0, n]];
  const h = Math.ceil(n / 2);
  return [
    [0, h],
    [h, n],
  ];
}
