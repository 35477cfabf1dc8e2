/**
 * lib/study.ts: seed lists, the job list, shards that partition it, resuming by skipping finished runs, and the
 * identity-leak groups of a run's test images (worked by hand on file names).
 */
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync, spawn } from "child_process";
import { makeFakeCk48 } from "../fixtures/ck48";
import { ROOT } from "../../lib/paths";
import { summaryWithoutSeconds } from "../fixtures/study";
import { tree } from "../helpers/cli";

/** Run the study command as `npm run study` does (tsx), in a child process. */
function study(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, ["--import", "tsx", path.join(ROOT, "lib", "cli", "study.ts"), ...args], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, ...env },
    timeout: 300_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe("study: the command (quick setting on a made-up CK+48)", function () {
  this.timeout(600_000);
  let dir: string;
  let tmp: string;
  before(async () => {
    dir = await makeFakeCk48(6);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "fer-study-cli-"));
  });
  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(tmp, { recursive: true, force: true });
  });
  const common = (out: string, seeds = "0-1") => [
    "--data",
    dir,
    "--out",
    out,
    "--seeds",
    seeds,
    "--splits",
    "random,subject",
    "--quick",
    "--no-verify",
    "--workers",
    "0",
  ];

  it("three studies into one folder at once: one works, the others stop naming the owner, nothing is lost", async () => {
    const out = path.join(tmp, "crowded");
    const start = () =>
      new Promise<{ code: number | null; err: string }>((resolve) => {
        const p = spawn(
          process.execPath,
          ["--import", "tsx", path.join(ROOT, "lib", "cli", "study.ts"), ...common(out)],
          {
            cwd: ROOT,
          },
        );
        let err = "";
        p.stderr.on("data", (c) => (err += c));
        p.on("exit", (code) => resolve({ code, err }));
      });
    const runs = await Promise.all([start(), start(), start()]);
    const won = runs.filter((r) => r.code === 0);
    const lost = runs.filter((r) => r.code !== 0);
    expect(won, runs.map((r) => r.err).join("\n")).to.have.length(1);
    for (const r of lost) {
      expect(r.code).to.equal(2);
      expect(r.err.trim()).to.match(
        /^study: .*seed-\d is in use by process \d+ \(npm run study -- .*, started .*\): wait for it/,
      );
    }
    const summary = JSON.parse(fs.readFileSync(path.join(out, "summary.json"), "utf8"));
    expect(summary.splits.map((x: { runs: unknown[] }) => x.runs.length)).to.deep.equal([2, 2]);
    const locks = tree(out).filter((f) => f.includes(".lock"));
    expect(locks).to.deep.equal([]);
  });

  it("a stopped run resumed with other settings says to start over with --force, and --force does", () => {
    const out = path.join(tmp, "forced");
    const ck = path.join(out, "paper", "random", "seed-0", "checkpoint");
    fs.mkdirSync(ck, { recursive: true });
    fs.writeFileSync(path.join(ck, "run-spec.json"), JSON.stringify({ seed: 99 }));
    const args = [
      "--data",
      dir,
      "--out",
      out,
      "--seeds",
      "0",
      "--splits",
      "random",
      "--quick",
      "--no-verify",
      "--workers",
      "0",
    ];
    const r = study(args);
    expect(r.code).to.equal(2);
    expect(r.err.trim()).to.match(/made by a run with other settings .*; start over with --force$/);
    const f = study([...args, "--force"]);
    expect(f.code, f.err).to.equal(0);
    expect(fs.existsSync(path.join(out, "paper", "random", "seed-0", "run.json"))).to.equal(true);
  });

  it("two shards run as two processes, then a merge, give exactly the summary of one unsharded study", async () => {
    const whole = path.join(tmp, "whole");
    const r = study(common(whole));
    expect(r.code, r.err).to.equal(0);
    expect(r.out).to.match(/run 4\/4/);
    const sharded = path.join(tmp, "sharded");
    const runShard = (k: number) =>
      new Promise<number | null>((resolve) => {
        const p = spawn(
          process.execPath,
          ["--import", "tsx", path.join(ROOT, "lib", "cli", "study.ts"), ...common(sharded), "--shard", `${k}/2`],
          { cwd: ROOT, stdio: "ignore" },
        );
        p.on("exit", resolve);
      });
    expect(await Promise.all([runShard(1), runShard(2)])).to.deep.equal([0, 0]);
    expect(fs.existsSync(path.join(sharded, "summary.json"))).to.equal(false);
    const m = study(["--merge", "--out", sharded]);
    expect(m.code, m.err).to.equal(0);
    expect(summaryWithoutSeconds(path.join(sharded, "summary.json"))).to.deep.equal(
      summaryWithoutSeconds(path.join(whole, "summary.json")),
    );
  });

  it("an interrupted study is refused without --resume and finished with it, skipping the finished runs", () => {
    const out = path.join(tmp, "resumed");
    expect(study(common(out, "0")).code).to.equal(0); // as if stopped after seed 0
    const refused = study(common(out));
    expect(refused.code).to.equal(2);
    expect(refused.err.trim().split("\n")).to.have.length(1);
    expect(refused.err).to.match(/already holds 2 finished run\(s\).*--resume/);
    const resumed = study([...common(out), "--resume"]);
    expect(resumed.code, resumed.err).to.equal(0);
    expect(resumed.out).to.match(/2 of 4 run\(s\) to do/);
    expect(resumed.out).to.match(/2 run\(s\) made, 2 already there/);
    const summary = JSON.parse(fs.readFileSync(path.join(out, "summary.json"), "utf8"));
    expect(
      summary.splits.map((s: { split: string; seeds: number[] }) => `${s.split}:${s.seeds.join(",")}`),
    ).to.deep.equal(["random:0,1", "subject:0,1"]);
    expect(summary.gaps[0].seeds).to.deep.equal([0, 1]);
  });

  it("bad flags are one-line errors", () => {
    for (const [args, pattern] of [
      [["--seeds", "5-1"], /runs backwards/],
      [["--splits", "random,loo"], /"loo" is not one of/],
      [["--shard", "3/2"], /1 ≤ K ≤ N/],
    ] as const) {
      const r = study([...args]);
      expect(r.code).to.equal(2);
      expect(r.err).to.match(pattern);
      expect(r.err).to.not.match(/\n\s+at /);
    }
  });
});
