/** lib/bench-peers.ts: versions compared by their numbers, and the candidates pythons are looked for in. */
import { expect } from "chai";
import { compareVersions, pythonCandidates, PYTHON_PEERS } from "../lib/bench-peers";
import * as fs from "fs";

describe("bench-peers: the frameworks timed beside ours", () => {
  it("compareVersions orders by numbers, not text: 2.13.0+cpu > 2.9.1 > 2.9; equal is 0", () => {
    expect(compareVersions("2.13.0+cpu", "2.9.1")).to.be.above(0);
    expect(compareVersions("2.9.1", "2.13.0")).to.be.below(0);
    expect(compareVersions("2.9.1", "2.9")).to.be.above(0);
    expect(compareVersions("3.15.1", "3.15.1")).to.equal(0);
  });

  it("FER_PYTHON alone when set; else the project's virtual environment first, then python3 and Debian's", () => {
    const before = process.env.FER_PYTHON;
    try {
      process.env.FER_PYTHON = "/opt/py/bin/python";
      expect(pythonCandidates()).to.deep.equal(["/opt/py/bin/python"]);
      delete process.env.FER_PYTHON;
      expect(pythonCandidates()).to.deep.equal([
        ...(fs.existsSync(PYTHON_PEERS) ? [PYTHON_PEERS] : []),
        "python3",
        "/usr/bin/python3",
      ]);
    } finally {
      if (before === undefined) delete process.env.FER_PYTHON;
      else process.env.FER_PYTHON = before;
    }
  });
});
