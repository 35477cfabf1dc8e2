import { expect } from "chai";
import { foldsBackend, type FoldOutcome } from "../lib/folds";

describe("lib/folds.ts", () => {
  const outcome = (backend: string) => ({ backend }) as FoldOutcome;
  it("foldsBackend: the one backend every fold names, an error when they differ or there is none", () => {
    expect(foldsBackend([outcome("cpu"), outcome("cpu")])).to.equal("cpu");
    expect(() => foldsBackend([outcome("cpu"), outcome("cpu-fast")])).to.throw("the folds trained on cpu and cpu-fast");
    expect(() => foldsBackend([])).to.throw("the folds trained on no backend");
  });
});
