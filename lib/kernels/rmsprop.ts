/**
 * RMSprop (Eq. 3–4) in one pass per variable, for the pure-JS backends (issue: twice as fast as PyTorch).
 *
 * tfjs' `RMSPropOptimizer.applyGradients` updates each variable with about ten tensor ops (square, mul, add, mul,
 * add, sqrt, mul, div, mul, add, sub and three assigns), each a kernel call with its own output allocation and
 * bookkeeping: about half of a training step's time for this small CNN. This subclass does the same arithmetic in one
 * WebAssembly SIMD loop per variable (asm/elementwise.ts `rmsprop`; a plain JavaScript loop with `Math.fround` after
 * every op took 0.8 ms per step, 15% of it) and assigns the three results once. It is **bit-identical** to the stock
 * optimizer on the cpu and cpu-fast backends: those compute every op in float64 and store float32, and a float32 op
 * rounds exactly like a float64 op rounded to float32 (for +, −, ×, ÷, √), in the same order, with the same float32
 * constants (test/kernels.test.ts runs both for many steps).
 *
 * Only the plain (not centred) RMSprop the paper uses is fused; a centred one falls back to the stock code. The state
 * (`accumulatedMeanSquares`, `accumulatedMoments`) lives in the stock fields, so getWeights/setWeights (checkpoints)
 * and dispose are inherited unchanged. lib/optim.ts keeps Eq. 3–4 written plainly as the readable reference.
 */
import type * as tfjs from "@tensorflow/tfjs";
import { wasmArena } from "./wasm";

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
  return class FusedRMSProp extends tf.RMSPropOptimizer {
    override applyGradients(variableGradients: tfjs.NamedTensorMap | { name: string; tensor: tfjs.Tensor }[]): void {
      const self = this as unknown as StockFields;
      if (self.centered) return super.applyGradients(variableGradients);
      const names = Array.isArray(variableGradients)
        ? variableGradients.map((v) => v.name)
        : Object.keys(variableGradients);
      const registered = tf.engine().registeredVariables;
      // The stock code's scalars, as float32 tensors hold them.
      const decay = Math.fround(self.decay);
      const oneMinusDecay = Math.fround(1 - self.decay);
      const lr = Math.fround(self.learningRate);
      const eps = Math.fround(self.epsilon);
      const momentum = Math.fround(self.momentum);
      names.forEach((name, i) => {
        const value = registered[name];
        if (self.accumulatedMeanSquares[i] == null) {
          self.accumulatedMeanSquares[i] = {
            originalName: `${name}/rms`,
            variable: tf.tidy(() => tf.zerosLike(value).variable(false)),
          };
        }
        if (self.accumulatedMoments[i] == null) {
          self.accumulatedMoments[i] = {
            originalName: `${name}/momentum`,
            variable: tf.tidy(() => tf.zerosLike(value).variable(false)),
          };
        }
        const gradient = Array.isArray(variableGradients) ? variableGradients[i].tensor : variableGradients[name];
        if (gradient == null) return;
        const ms = self.accumulatedMeanSquares[i].variable;
        const mom = self.accumulatedMoments[i].variable;
        const n = value.size;
        // Copy the four inputs into wasm memory, update in place there (asm/elementwise.ts rmsprop), copy out.
        const wasm = wasmArena();
        const pg = wasm.alloc(n),
          pv = wasm.alloc(n),
          pa = wasm.alloc(n),
          pm = wasm.alloc(n);
        wasm.view(pg, n).set(gradient.dataSync() as Float32Array);
        wasm.view(pv, n).set(value.dataSync() as Float32Array);
        wasm.view(pa, n).set(ms.dataSync() as Float32Array);
        wasm.view(pm, n).set(mom.dataSync() as Float32Array);
        wasm.fn.rmsprop(pg, pv, pa, pm, n, decay, oneMinusDecay, lr, eps, momentum);
        const a2 = wasm.copyOut(pa, n);
        const m2 = wasm.copyOut(pm, n);
        const v2 = wasm.copyOut(pv, n);
        tf.tidy(() => {
          ms.assign(tf.tensor(a2, ms.shape, "float32"));
          mom.assign(tf.tensor(m2, mom.shape, "float32"));
          value.assign(tf.tensor(v2, value.shape, "float32"));
        });
      });
      self.incrementIterations();
    }
  };
}
