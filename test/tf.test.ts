import { expect } from "chai";
import type * as tfjs from "@tensorflow/tfjs";
import { selectBackend, backendName, type TfjsNodeLoader } from "../lib/tf";
import { requestedBackend } from "../lib/backend";
import { UserError } from "../lib/errors";
import { FAST_BACKEND } from "../lib/kernels";

/** A stand-in for @tensorflow/tfjs-node: records whether it was loaded and which backend was set on it. */
function standIn() {
  const calls = { loaded: 0, setBackend: [] as string[] };
  const fake = { setBackend: (n: string) => (calls.setBackend.push(n), true) } as unknown as typeof tfjs;
  const load: TfjsNodeLoader = () => {
    calls.loaded++;
    return fake;
  };
  return { calls, fake, load };
}

describe("lib/tf.ts: backend selection", () => {
  it("the default is cpu-fast even where tfjs-node is installed: the loader is never called", () => {
    const s = standIn();
    for (const env of [{}, { FER_BACKEND: "" }, { FER_BACKEND: "cpu-fast" }]) {
      const r = selectBackend(env, s.load);
      expect(r.name).to.equal("cpu-fast");
      expect(r.tf).to.not.equal(s.fake);
      expect(r.tf.getBackend()).to.equal(FAST_BACKEND);
    }
    expect(s.calls.loaded).to.equal(0);
    expect(backendName()).to.equal(process.env.FER_BACKEND || "cpu-fast");
  });

  it("tensorflow only when asked: then tfjs-node's namespace and its backend", () => {
    const s = standIn();
    const r = selectBackend({ FER_BACKEND: "tensorflow" }, s.load);
    expect(r.name).to.equal("tensorflow");
    expect(r.tf).to.equal(s.fake);
    expect(s.calls).to.deep.equal({ loaded: 1, setBackend: ["tensorflow"] });
    selectBackend({}, s.load); // back to cpu-fast for the other tests
  });

  it("asking for tensorflow without a loadable tfjs-node, or for an unknown backend, is a one-line user error", () => {
    const missing: TfjsNodeLoader = () => {
      throw new Error("Cannot find module '@tensorflow/tfjs-node'\nRequire stack: …");
    };
    expect(() => selectBackend({ FER_BACKEND: "tensorflow" }, missing)).to.throw(
      UserError,
      /^backend tensorflow needs @tensorflow\/tfjs-node, which is not installed or does not load \(Cannot find module '@tensorflow\/tfjs-node'\): install it/,
    );
    expect(() => requestedBackend({ FER_BACKEND: "gpu" })).to.throw(
      UserError,
      'FER_BACKEND must be one of tensorflow, cpu-fast, cpu (got "gpu")',
    );
  });
});
