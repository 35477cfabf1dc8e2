/**
 * The WebAssembly SIMD module (built from asm/index.ts by scripts/build-wasm.ts, embedded as base64) and a bump
 * arena over its memory. Kernels are synchronous and called from one thread, so one arena, reset at the start of
 * every kernel call, is enough: allocate every buffer first (memory may grow), then take views, fill, call, read back.
 * With two kernel threads (threads.ts) the arena is over the shared build's memory, and a second thread runs part of
 * a convolution on the same buffers while the caller waits.
 */
import { WASM_BASE64, WASM_SHARED_BASE64, WASM_SHARED_MAX_PAGES } from "./wasm-binary";

/** The part of WebAssembly.Memory used here (the project's tsconfig has no DOM lib, which declares WebAssembly). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(pages: number): number;
}

/** The WebAssembly global, typed for what this file uses. */
const WA = (
  globalThis as unknown as {
    WebAssembly: {
      Module: new (bytes: Uint8Array) => object;
      Instance: new (module: object, imports: object) => { exports: unknown };
      Memory: new (d: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
    };
  }
).WebAssembly;

/** A compiled module and, for the shared build, the memory every instance of it imports. */
export interface WasmBuild {
  module: object;
  memory?: WasmMemory;
}

function bytesOf(base64: string): Uint8Array {
  // atob, not node's Buffer: the live demo's page runs these kernels too (its cpu-fast backend); the module is
  // about 7 kB, small enough for browsers to compile synchronously on the page's thread.
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

/** The build with its own memory, or (`shared`) the build over a new shared memory that threads can import. */
export function compileWasm(shared = false): WasmBuild {
  if (!shared) return { module: new WA.Module(bytesOf(WASM_BASE64)) };
  const memory = new WA.Memory({ initial: 16, maximum: WASM_SHARED_MAX_PAGES, shared: true });
  return { module: new WA.Module(bytesOf(WASM_SHARED_BASE64)), memory };
}

/** An instance of `build` on this thread. */
export function instantiateWasm(build: WasmBuild): ConvExports {
  const env: Record<string, unknown> = {
    abort: () => {
      throw new Error("wasm abort");
    },
  };
  if (build.memory) env.memory = build.memory;
  return new WA.Instance(build.module, { env }).exports as unknown as ConvExports;
}

/** The functions exported by asm/index.ts (pointers are byte offsets into `memory`). */
export interface ConvExports {
  memory: WasmMemory;
  heapBase(): number;
  convForward(
    x: number,
    w: number,
    bias: number,
    y: number,
    B: number,
    Hp: number,
    Wp: number,
    C: number,
    OH: number,
    OW: number,
    NP: number,
    KH: number,
    KW: number,
    SH: number,
    SW: number,
    relu: number,
  ): void;
  convBackpropFilter(
    x: number,
    dy: number,
    dw: number,
    B: number,
    Hp: number,
    Wp: number,
    C: number,
    OH: number,
    OW: number,
    N: number,
    NP: number,
    KH: number,
    KW: number,
    SH: number,
    SW: number,
    t0: number,
    t1: number,
    zero: number,
  ): void;
  convForward6(
    x: number,
    w6: number,
    bias: number,
    y: number,
    B: number,
    Hp: number,
    Wp: number,
    C: number,
    OH: number,
    OW: number,
    KH: number,
    KW: number,
    SH: number,
    SW: number,
    relu: number,
    grey: number,
  ): void;
  convBackpropFilterEqualChannels(
    x: number,
    dy: number,
    g: number,
    Wp: number,
    C: number,
    OH: number,
    OW: number,
    N: number,
    NP: number,
    KH: number,
    KW: number,
    t0: number,
    t1: number,
    zero: number,
  ): void;
  convBackpropInput(
    dy: number,
    wt: number,
    dx: number,
    spare: number,
    B: number,
    Hp: number,
    Wp: number,
    C: number,
    OH: number,
    OW: number,
    N: number,
    KH: number,
    KW: number,
    SH: number,
    SW: number,
  ): void;
  compactRows(p: number, M: number, N: number, NP: number): void;
  binary(op: number, a: number, b: number, out: number, n: number, mode: number, I: number): void;
  unary(op: number, x: number, out: number, n: number, alpha: number): void;
  peakMulAdd(iters: number, x: number): number;
  transpose(src: number, dst: number, rows: number, cols: number, dstStride: number): void;
  warpBilinearClamp(
    img: number,
    transforms: number,
    out: number,
    pad: number,
    B: number,
    H: number,
    W: number,
    C: number,
    OH: number,
    OW: number,
    perImage: number,
    fillValue: number,
  ): void;
  rmsprop(
    g: number,
    v: number,
    a: number,
    m: number,
    n: number,
    decay: number,
    oneMinusDecay: number,
    lr: number,
    eps: number,
    momentum: number,
  ): void;
  sumRows(x: number, out: number, acc: number, rows: number, I: number): void;
  equalChannels3(p: number, pixels: number): number;
  trunkForward(ctx: number, part: number): void;
  trunkBackward(ctx: number, part: number): void;
  trunkGradients(ctx: number, part: number, parts: number): void;
  maxPool(
    x: number,
    out: number,
    B: number,
    H: number,
    W: number,
    C: number,
    OH: number,
    OW: number,
    FH: number,
    FW: number,
    SH: number,
    SW: number,
    top: number,
    left: number,
  ): void;
  maxPoolGrad(
    x: number,
    dy: number,
    dx: number,
    B: number,
    H: number,
    W: number,
    C: number,
    OH: number,
    OW: number,
    FH: number,
    FW: number,
    SH: number,
    SW: number,
    top: number,
    left: number,
  ): void;
}

/** Bytes of slack after every buffer: vector loads/stores may run up to 12 bytes past a logical end. */
const SLACK = 64;

/** A bump allocator over the wasm memory (see the file comment for the calling discipline). */
export class Arena {
  readonly fn: ConvExports;
  private base: number;
  private top: number;

  /** `reserved` bytes after the module's static data are kept out of the arena (threads.ts keeps its signals there). */
  constructor(fn: ConvExports, reserved = 0) {
    this.fn = fn;
    this.base = ((fn.heapBase() + 15) & ~15) + ((reserved + 15) & ~15);
    this.top = this.base;
  }

  /**
   * A buffer of `floats` float32s that lives as long as the arena (trunk.ts's workspace): taken below the arena's
   * base, between kernel calls, so no reset frees it.
   */
  reserve(floats: number): number {
    this.reset();
    const p = this.alloc(floats);
    this.base = this.top;
    new Uint8Array(this.fn.memory.buffer, p, this.top - p).fill(0); // earlier kernel calls' leftovers
    return p;
  }

  /** Forget every buffer of the previous kernel call. */
  reset(): void {
    this.top = this.base;
  }

  /** Reserve `floats` float32s (16-byte aligned, with slack); returns the byte offset. Grows memory if needed. */
  alloc(floats: number): number {
    const p = this.top;
    this.top = (p + floats * 4 + SLACK + 15) & ~15;
    const have = this.fn.memory.buffer.byteLength;
    if (this.top > have) this.fn.memory.grow(Math.ceil((this.top - have) / 65536) + 16);
    return p;
  }

  /**
   * A fresh Float32Array holding `floats` floats from byte offset `p`: the kernel's output for tfjs. ArrayBuffer's
   * own slice is one copy, about 30% faster than new + set (which first zero-fills), and new + set is about twice as
   * fast as `.slice()` on a typed view of wasm memory, which takes a slow generic path.
   */
  copyOut(p: number, floats: number): Float32Array {
    const buf = this.fn.memory.buffer;
    // A shared memory's slice is shared too; tensors get a plain buffer.
    if (!(buf instanceof ArrayBuffer)) {
      const out = new Float32Array(floats);
      out.set(this.view(p, floats));
      return out;
    }
    return new Float32Array(buf.slice(p, p + floats * 4));
  }

  /** A Float32Array view of `floats` floats at byte offset `p` (take views only after the last alloc). */
  view(p: number, floats: number): Float32Array {
    return new Float32Array(this.fn.memory.buffer, p, floats);
  }
}

let arena: Arena | undefined;

/** The process-wide arena over the (lazily instantiated) wasm module. */
export function wasmArena(): Arena {
  if (!arena) arena = new Arena(instantiateWasm(compileWasm()));
  arena.reset();
  return arena;
}

/** Make `next` the process-wide arena (threads.ts switches between the two builds); undefined goes back to the own-memory build. */
export function setWasmArena(next: Arena | undefined): void {
  arena = next;
}
