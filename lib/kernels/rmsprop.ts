/**
 * RMSprop (Eq. 3–4) in one pass per variable, for the pure-JS backends (issue: twice as fast as PyTorch).
 *
 * tfjs' `RMSPropOptimizer.applyGradients` updates each variable with about ten tensor ops (square, mul, add, mul,
 * add, sqrt, mul, div, mul, add, sub and three assigns), each a kernel call with its own output allocation and
 * bookkeeping: about half of a training step's time for this small CNN. This subclass does the same arithmetic in one
 * WebAssembly SIMD loop per variable (asm/elementwise.ts `rmsprop`; a plain JavaScript loop with `Math.fround` after
 * every op took 0.8 ms per step, 15% of it) and writes the three results once, into the variables' own storage when
 * no clone shares it. It is **bit-identical** to the stock optimizer on the cpu and cpu-fast backends: those compute
 * every op in float64 and store float32, and a float32 op rounds exactly like a float64 op rounded to float32 (for
 * +, −, ×, ÷, √), in the same order, with the same float32 constants (test/kernels.test.ts runs both for many steps).
 *
 * Only the plain (not centred) RMSprop the paper uses is fused; a centred one falls back to the stock code. The state
 * (`accumulatedMeanSquares`, `accumulatedMoments`) has the stock fields, so getWeights/setWeights (checkpoints) and
 * dispose keep the stock layout; between steps its values live in the module's memory (see {@link Resident}), and
 * getWeights copies them into those fields first. lib/optim.ts keeps Eq. 3–4 written plainly as the readable reference.
 */
import type * as tfjs from "@tensorflow/tfjs";
import type { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import { wasmArena, type Arena } from "./wasm";

type OptimizerVariable = { originalName: string; variable: tfjs.Variable };
interface StockFields {
  learningRate: number;
  decay: number;
  momentum: number;
  epsilon: number;
  centered: boolean;
  accumulatedMeanSquares: OptimizerVariable[];
  accumulatedMoments: OptimizerVariable[];
  incrementIterations(): void;
}

/** The fused RMSprop class for a given tfjs (the one lib/tf.ts loaded). */
export function fusedRmspropClass(tf: typeof tfjs) {
  /**
   * Give variable `v` the values `x` (a view of wasm memory): in its own storage when no other tensor shares it, which
   * saves a tensor and an allocation per variable; else (a clone shares it: lib/train.ts BestWeights keeps clones of
   * the weights) by assigning a new tensor, as the stock code does.
   */
  const store = (v: tfjs.Variable, x: Float32Array): void => {
    const data = (tf.backend() as MathBackendCPU).data.get(v.dataId);
    if (data?.refCount === 1 && data.values instanceof Float32Array && data.values.length === x.length) {
      data.values.set(x);
      return;
    }
    tf.tidy(() => v.assign(tf.tensor(x.slice(), v.shape, "float32")));
  };

  /**
   * The optimiser state of one optimiser at a time, kept in the module's memory from step to step: copying the mean
   * squares and moments in and out of their tensors was 4 of the 7 copies of the model's size a step cost. Slot i
   * holds variable i's two vectors; `owner` is the optimiser whose state is here (its tensors are then stale, until
   * {@link sync}). Another optimiser's step, a thread switch (another arena) or setWeights puts it back or drops it.
   */
  interface Resident {
    arena: Arena;
    owner?: StockFields;
    slots: { pa: number; pm: number; n: number; loaded: boolean }[];
  }
  let resident: Resident | undefined;

  /** Copy the owner's state from the module into its tensors (it stays valid in both). */
  const sync = (r: Resident): void => {
    const o = r.owner;
    if (!o) return;
    r.slots.forEach((slot, i) => {
      if (!slot?.loaded) return;
      store(o.accumulatedMeanSquares[i].variable, r.arena.view(slot.pa, slot.n));
      store(o.accumulatedMoments[i].variable, r.arena.view(slot.pm, slot.n));
    });
  };

  /** The resident state of `self` in `arena`, taking it over from whoever holds it (put back into its tensors). */
  const residentFor = (self: StockFields, arena: Arena): Resident => {
    if (resident && resident.owner === self && resident.arena === arena) return resident;
    if (resident) sync(resident);
    if (!resident || resident.arena !== arena) resident = { arena, slots: [] };
    resident.owner = self;
    resident.slots.forEach((slot) => slot && (slot.loaded = false));
    return resident;
  };

  return class FusedRMSProp extends tf.RMSPropOptimizer {
    /** The stock getWeights, after the state in the module's memory is copied into its tensors. */
    override async getWeights(): ReturnType<tfjs.Optimizer["getWeights"]> {
      if (resident?.owner === (this as unknown as StockFields)) sync(resident);
      return super.getWeights();
    }

    /** The stock setWeights; the state in the module's memory is dropped (the next step reads the new one). */
    override async setWeights(weightValues: Parameters<tfjs.Optimizer["setWeights"]>[0]): Promise<void> {
      if (resident?.owner === (this as unknown as StockFields)) resident.owner = undefined;
      return super.setWeights(weightValues);
    }

    override dispose(): void {
      if (resident?.owner === (this as unknown as StockFields)) resident.owner = undefined;
      super.dispose();
    }

    override applyGradients(variableGradients: tfjs.NamedTensorMap | { name: string; tensor: tfjs.Tensor }[]): void {
      const self = this as unknown as StockFields;
      if (self.centered) return super.applyGradients(variableGradients);
      const names = Array.isArray(variableGradients)
        ? variableGradients.map((v) => v.name)
        : Object.keys(variableGradients);
      const registered = tf.engine().registeredVariables;
      names.forEach((name, i) => {
        const gradient = Array.isArray(variableGradients) ? variableGradients[i].tensor : variableGradients[name];
        this.update(i, registered[name], gradient == null ? undefined : (gradient.dataSync() as Float32Array));
      });
      self.incrementIterations();
    }

    /**
     * {@link applyGradients} for gradients held as arrays, one per variable in order (lib/train.ts `trainStep`): the
     * same bits, without a tensor per gradient, and each result written into its tensor's own storage.
     */
    applyArrays(variables: tfjs.Variable[], gradients: Float32Array[]): void {
      const self = this as unknown as StockFields;
      if (self.centered) {
        const named = variables.map((v, i) => ({ name: v.name, tensor: tf.tensor(gradients[i], v.shape) }));
        super.applyGradients(named);
        tf.dispose(named.map((g) => g.tensor));
        return;
      }
      this.updateArrays(variables, gradients);
      self.incrementIterations();
    }

    /**
     * The updates of {@link applyArrays} for `variables`, variables `first`, `first + 1`, … of the optimiser (their
     * order in every call), without counting a step: a step may update its variables in two calls, each variable's
     * update being its own (lib/train.ts updates the head's while the trunk's gradients are computed), then
     * {@link countStep}. Not for a centred RMSprop (see {@link fused}).
     */
    updateArrays(variables: tfjs.Variable[], gradients: Float32Array[], first = 0): void {
      variables.forEach((v, i) => this.update(first + i, v, gradients[i]));
    }

    /** Count a step whose updates went through {@link updateArrays}. */
    countStep(): void {
      (this as unknown as StockFields).incrementIterations();
    }

    /** Whether {@link updateArrays} applies (a centred RMSprop takes the stock code). */
    get fused(): boolean {
      return !(this as unknown as StockFields).centered;
    }

    /** Variable i's update from its gradient (none: only its state is made, as the stock code does). */
    private update(i: number, value: tfjs.Variable, gradient: Float32Array | undefined): void {
      const self = this as unknown as StockFields;
      self.accumulatedMeanSquares[i] ??= {
        originalName: `${value.name}/rms`,
        variable: tf.tidy(() => tf.zerosLike(value).variable(false)),
      };
      self.accumulatedMoments[i] ??= {
        originalName: `${value.name}/momentum`,
        variable: tf.tidy(() => tf.zerosLike(value).variable(false)),
      };
      if (gradient == null) return;
      const ms = self.accumulatedMeanSquares[i].variable;
      const mom = self.accumulatedMoments[i].variable;
      const n = value.size;
      // The state is in wasm memory (read from its tensors once); copy the gradient and the weights in, update all
      // in place there (asm/elementwise.ts rmsprop), store the weights.
      const wasm = wasmArena();
      const r = residentFor(self, wasm);
      let slot = r.slots[i];
      if (!slot || slot.n !== n) slot = r.slots[i] = { pa: wasm.reserve(n), pm: wasm.reserve(n), n, loaded: false };
      const { pa, pm } = slot;
      const [pg, pv] = [wasm.alloc(n), wasm.alloc(n)];
      if (!slot.loaded) {
        wasm.view(pa, n).set(ms.dataSync() as Float32Array);
        wasm.view(pm, n).set(mom.dataSync() as Float32Array);
        slot.loaded = true;
      }
      wasm.view(pg, n).set(gradient);
      wasm.view(pv, n).set(value.dataSync() as Float32Array);
      // The stock code's scalars, as float32 tensors hold them.
      const f = Math.fround;
      wasm.fn.rmsprop(
        pg,
        pv,
        pa,
        pm,
        n,
        f(self.decay),
        f(1 - self.decay),
        f(self.learningRate),
        f(self.epsilon),
        f(self.momentum),
      );
      store(value, wasm.view(pv, n));
    }
  };
}
