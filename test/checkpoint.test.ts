/**
 * lib/checkpoint.ts: the base64 float32 codec keeps the bits, and a damaged checkpoint (truncated, empty, garbled,
 * wrong types, data that does not fit its shape, a folder where a file belongs) is a one-line user error naming the
 * file and what to do, never a stack trace.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import fc from "fast-check";
import { tf } from "../lib/tf";
import { mutate, mutation } from "./helpers/mutate";
import { settle } from "./helpers/outcome";
import { UserError } from "../lib/errors";
import {
  base64ToFloat32,
  float32ToBase64,
  loadTensor,
  prepareCheckpoints,
  readTrainCheckpoint,
  runClock,
  saveTensor,
  type TrainCheckpoint,
} from "../lib/checkpoint";

function checkpoint(): TrainCheckpoint {
  const w = tf.tensor([1.5, -2, 3e-8, 4], [2, 2]);
  const c: TrainCheckpoint = {
    epoch: 1,
    weights: [saveTensor(w)],
    optimizer: [saveTensor(w, "rms")],
    rng: { batch: 1, augment: 2, dropout: 3 },
    early: { best: 0.5, wait: 0 },
    best: { value: 0.5, epoch: 1, weights: null },
    history: [{ epoch: 1, loss: 1, acc: 0.5, valLoss: 0.5, valAcc: 0.6, seconds: 1 }],
  };
  w.dispose();
  return c;
}

describe("checkpoint: the codec and damaged files", () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "fer-ck-"))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("float32 bits survive base64 both ways, also from an unaligned view", () => {
    const f = new Float32Array([0, -0, 1 / 3, Number.MIN_VALUE, 3.4e38, NaN]);
    const back = base64ToFloat32(float32ToBase64(f));
    expect(Buffer.from(back.buffer).equals(Buffer.from(f.buffer))).to.equal(true);
    const view = new Float32Array(new Float32Array([9, 1 / 7, 2]).buffer, 4, 2);
    expect(Array.from(base64ToFloat32(float32ToBase64(view)))).to.deep.equal(Array.from(view));
    const t = loadTensor(saveTensor(tf.tensor([1 / 3, 2], [2])));
    expect(Array.from(t.dataSync())).to.deep.equal([Math.fround(1 / 3), 2]);
    t.dispose();
  });

  it("reads a good checkpoint back as written", () => {
    const file = path.join(dir, "fold-1.json");
    fs.writeFileSync(file, JSON.stringify(checkpoint()));
    expect(readTrainCheckpoint(file)).to.deep.equal(checkpoint());
  });

  const good = JSON.stringify(checkpoint());
  const damaged: [string, string | ((c: TrainCheckpoint) => unknown), RegExp][] = [
    ["empty", "", /is not valid JSON/],
    ["truncated", good.slice(0, good.length / 2), /is not valid JSON/],
    ["garbled", "\u0000\u00ff{]", /is not valid JSON/],
    ["JSON of another kind", "[1, 2, 3]", /is not a valid fold checkpoint/],
    ["a null history entry", (c) => ({ ...c, history: [null] }), /history\.0/],
    ["a string where a number belongs", (c) => ({ ...c, epoch: "3" }), /epoch/],
    [
      "weights that do not fit their shape",
      (c) => ({ ...c, weights: [{ shape: [3, 3], data: c.weights[0].data }] }),
      /weights\.0.*4 bytes per element/,
    ],
    ["weights that are not base64", (c) => ({ ...c, weights: [{ shape: [1], data: "!!!!" }] }), /weights\.0/],
  ];
  for (const [name, make, want] of damaged)
    it(`${name}: one line naming the file and what to do`, () => {
      const file = path.join(dir, "fold-1.json");
      fs.writeFileSync(file, typeof make === "string" ? make : JSON.stringify(make(checkpoint())));
      let err: unknown;
      try {
        readTrainCheckpoint(file);
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(UserError);
      const msg = (err as Error).message;
      expect(msg).to.match(want);
      expect(msg).to.include(file);
      expect(msg).to.match(/delete that file .* or start the run over with --force$/);
      expect(msg).to.not.include("\n");
    });

  it("a checkpoint that is a folder, and a checkpoint folder that is a file, are one line each", () => {
    const file = path.join(dir, "fold-1.json");
    fs.mkdirSync(file);
    expect(() => readTrainCheckpoint(file)).to.throw(UserError, /is not a regular file \(a folder\)/);
    const ck = path.join(dir, "checkpoint");
    fs.writeFileSync(ck, "not a folder");
    expect(() => prepareCheckpoints(ck, { seed: 0 })).to.throw(UserError, /is a file, not a checkpoint folder/);
  });

  it("a damaged run clock is one line; a good one adds its seconds", () => {
    fs.writeFileSync(path.join(dir, "elapsed.json"), JSON.stringify({ seconds: 12 }));
    expect(runClock(dir, performance.now()).seconds()).to.be.within(12, 13);
    fs.writeFileSync(path.join(dir, "elapsed.json"), '{"seconds": -1');
    expect(() => runClock(dir, 0)).to.throw(UserError, /elapsed\.json is not valid JSON/);
  });
});

describe("checkpoint: random damage (fast-check)", () => {
  it("every mutation of a checkpoint gives it back or a one-line user error", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fer-fuzz-ck-"));
    const file = path.join(dir, "fold-1.json");
    const text = JSON.stringify(checkpoint());
    const seen = new Set<string>();
    try {
      fc.assert(
        fc.property(mutation, (m) => {
          fs.writeFileSync(file, mutate(text, m));
          seen.add(settle(() => readTrainCheckpoint(file)));
        }),
        { numRuns: 400, seed: 23 },
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    expect([...seen]).to.include("user error");
  });
});
