/**
 * lib/peers/models.ts humanInput against @vladmandic/human's own pipeline: Human detects the face in a CK+48 image,
 * crops it and runs its emotion step; our preprocessing and our load of the same model, on the crop Human handed
 * that step, must give the same emotions to Human's two decimals (test/helpers/human-reference.ts, a child process
 * so Human's global flags stay out of this one). Needs CK+48 and the dev dependencies.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { spawnSync } from "child_process";
import { ROOT } from "../../lib/paths";
import { realCk48 } from "../fixtures/ck48";

describe("peers: Human's own pipeline against our preprocessing (real CK+48)", function () {
  this.timeout(300_000);
  it("gives Human's emotions, score for score, on faces of four classes", function () {
    const dir = realCk48();
    const human = path.join(ROOT, "node_modules", "@vladmandic", "human", "package.json");
    if (!dir || !fs.existsSync(human)) return this.skip();
    const files = ["anger", "happy", "sadness", "surprise"].map((c) => {
      const f = fs.readdirSync(path.join(dir, c)).sort()[0];
      return path.join(dir, c, f);
    });
    const r = spawnSync(
      process.execPath,
      ["--import", "tsx", path.join(ROOT, "test", "helpers", "human-reference.ts"), ...files],
      { cwd: ROOT, encoding: "utf8", timeout: 240_000 },
    );
    expect(r.status, r.stderr).to.equal(0);
    const rows = r.stdout
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map(
        (l) =>
          JSON.parse(l) as {
            file: string;
            detected: boolean;
            range?: number[];
            human?: { score: number; emotion: string }[];
            ours?: { score: number; emotion: string }[];
          },
      );
    expect(rows).to.have.length(files.length);
    const detected = rows.filter((x) => x.detected);
    expect(detected.length, "Human found no face").to.be.at.least(3);
    for (const x of detected) {
      expect(x.range![0], x.file).to.be.at.least(0);
      expect(x.range![1], x.file).to.be.at.most(1); // Human's crops are in [0, 1], as humanInput expects
      expect(
        x.ours!.map((e) => [e.emotion, e.score]),
        x.file,
      ).to.deep.equal(x.human!.map((e) => [e.emotion, e.score]));
    }
  });
});
