import { expect } from "chai";
import { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import { tf, initBackend, activeBackend, type TfjsNodeLoader } from "../lib/tf";
import { requestedBackend } from "../lib/backend";
import { UserError } from "../lib/errors";
import { FAST_BACKEND } from "../lib/kernels";

/** A stand-in for @tensorflow/tfjs-node: counts its loads, and registers a `tensorflow` backend as the real one does. */
function standIn() {
  const calls = { loaded: 0 };
  const load: TfjsNodeLoader = () => {
    calls.loaded++;
    if (!tf.findBackendFactory("tensorflow")) tf.registerBackend("tensorflow", () => new MathBackendCPU());
  };
  return { calls, load };
}

describe("lib/tf.ts: the explicit start-up", () => {
  afterEach(() => initBackend("cpu-fast")); // the other tests run on the default

  it("the default is cpu-fast even where tfjs-node is installed: the loader is never called", () => {
    const s = standIn();
    for (const env of [{}, { FER_BACKEND: "" }, { FER_BACKEND: "cpu-fast" }]) {
      expect(initBackend(requestedBackend(env), s.load)).to.equal("cpu-fast");
      expect(tf.getBackend()).to.equal(FAST_BACKEND);
      expect(activeBackend()).to.equal("cpu-fast");
    }
    expect(s.calls.loaded).to.equal(0);
  });

  it("cpu is the stock backend, and activeBackend says what tf.getBackend() says", () => {
    expect(initBackend("cpu")).to.equal("cpu");
    expect(tf.getBackend()).to.equal("cpu");
    expect(activeBackend()).to.equal("cpu");
  });

  it("tensorflow only when asked: tfjs-node is loaded and its backend, registered on the same engine, is active", () => {
    const s = standIn();
    expect(initBackend("tensorflow", s.load)).to.equal("tensorflow");
    expect(s.calls).to.deep.equal({ loaded: 1 });
    expect(tf.getBackend()).to.equal("tensorflow");
    initBackend("cpu-fast");
    tf.removeBackend("tensorflow");
  });

  it("asking for tensorflow without a loadable tfjs-node, or for an unknown backend, is a one-line user error", () => {
    const missing: TfjsNodeLoader = () => {
      throw new Error("Cannot find module '@tensorflow/tfjs-node'\nRequire stack: …");
    };
    expect(() => initBackend("tensorflow", missing)).to.throw(
      UserError,
      /^backend tensorflow needs @tensorflow\/tfjs-node, which is not installed or does not load \(Cannot find module '@tensorflow\/tfjs-node'\): install it/,
    );
    expect(() => initBackend("tensorflow", () => undefined)).to.throw(UserError, /registered no backend/);
    expect(() => requestedBackend({ FER_BACKEND: "gpu" })).to.throw(
      UserError,
      'FER_BACKEND must be one of tensorflow, cpu-fast, cpu (got "gpu")',
    );
  });
});
