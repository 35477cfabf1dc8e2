/**
 * The README's Slurm example, run for real on a one-node Slurm (Debian's slurm-wlm: munged, slurmctld and slurmd on
 * this machine, started here with a configuration written here): an array of shards of a quick study on a made-up
 * CK+48, then the merge as a dependent job, must give the summary one unsharded study gives. Skipped, saying why,
 * where Slurm is not installed or its daemons cannot start (they need root).
 */
import { expect } from "chai";
import { spawn, spawnSync, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { ROOT } from "../../lib/paths";
import { makeFakeCk48 } from "../fixtures/ck48";
import { summaryWithoutSeconds } from "../fixtures/study";

/** The README's block between its slurm markers, as bash. */
function readmeExample(): string {
  const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
  const block = /<!-- slurm:start[^>]*-->\s*```bash\n([\s\S]*?)```\s*<!-- slurm:end -->/.exec(readme);
  if (!block) throw new Error("README.md has no slurm example between its markers");
  return block[1];
}

/** A free TCP port on this machine. */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

const has = (bin: string) => spawnSync("sh", ["-c", `command -v ${bin}`]).status === 0;

describe("the README's Slurm example on a one-node Slurm", function () {
  this.timeout(600_000);
  let dir: string;
  let conf: string;
  const daemons: ChildProcess[] = [];
  let startedMunge = false;
  let env: NodeJS.ProcessEnv;
  let data: string;

  before(async function () {
    const need = ["munged", "slurmctld", "slurmd", "sbatch", "squeue", "sinfo"].filter(
      (b) => !has(b) && !has(`/usr/sbin/${b}`),
    );
    if (need.length) {
      console.log(`      (skipped: ${need.join(", ")} not installed; apt-get install slurm-wlm)`);
      return this.skip();
    }
    if (process.getuid?.() !== 0) {
      console.log("      (skipped: slurmd needs root)");
      return this.skip();
    }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "fer-slurm-"));
    const host = os.hostname().split(".")[0];
    const [ctld, slurmd] = [await freePort(), await freePort()];
    for (const d of ["state", "spool", "log"]) fs.mkdirSync(path.join(dir, d));
    conf = path.join(dir, "slurm.conf");
    fs.writeFileSync(
      conf,
      [
        "ClusterName=fer",
        `SlurmctldHost=${host}`,
        "SlurmUser=root",
        "AuthType=auth/munge",
        `StateSaveLocation=${dir}/state`,
        `SlurmdSpoolDir=${dir}/spool`,
        `SlurmctldPidFile=${dir}/slurmctld.pid`,
        `SlurmdPidFile=${dir}/slurmd.pid`,
        `SlurmctldLogFile=${dir}/log/slurmctld.log`,
        `SlurmdLogFile=${dir}/log/slurmd.log`,
        "ProctrackType=proctrack/linuxproc",
        "TaskPlugin=task/none",
        "JobAcctGatherType=jobacct_gather/none",
        "SchedulerType=sched/backfill",
        "SelectType=select/cons_tres",
        "SelectTypeParameters=CR_CPU",
        "ReturnToService=2",
        "MpiDefault=none",
        `SlurmctldPort=${ctld}`,
        `SlurmdPort=${slurmd}`,
        `NodeName=${host} CPUs=${os.cpus().length} State=UNKNOWN`,
        "PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP",
        "",
      ].join("\n"),
    );
    env = { ...process.env, SLURM_CONF: conf };
    if (spawnSync("pgrep", ["-x", "munged"]).status !== 0) {
      fs.mkdirSync("/run/munge", { recursive: true });
      spawnSync("chown", ["munge:munge", "/run/munge"]);
      startedMunge = spawnSync("/usr/sbin/munged", ["--force"]).status === 0;
    }
    for (const d of ["slurmctld", "slurmd"])
      daemons.push(spawn(`/usr/sbin/${d}`, ["-D", "-f", conf], { env, stdio: "ignore" }));
    for (let i = 0; i < 60; i++) {
      const s = spawnSync("sinfo", ["-h", "-o", "%t"], { env, encoding: "utf8" });
      if (s.status === 0 && /idle|mix/.test(s.stdout)) break;
      if (i === 59) {
        console.log(`      (skipped: the one-node Slurm did not come up: ${s.stderr.trim() || s.stdout.trim()})`);
        return this.skip();
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    data = await makeFakeCk48(6);
  });

  after(async () => {
    await Promise.all(
      daemons.map(
        (d) =>
          new Promise<void>((resolve) => {
            if (d.exitCode !== null) return resolve();
            d.once("exit", () => resolve());
            d.kill("SIGTERM");
            setTimeout(resolve, 10_000);
          }),
      ),
    );
    if (startedMunge) spawnSync("pkill", ["-x", "munged"]);
    if (data) fs.rmSync(data, { recursive: true, force: true });
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("an array of 2 shards, then the merge as a dependent job: the summary of one unsharded study", async () => {
    const flags = `--data ${data} --seeds 0-1 --splits random,subject --quick --no-verify --workers 0`;
    const sharded = path.join(dir, "sharded");
    const r = spawnSync("bash", ["-euo", "pipefail", "-c", readmeExample()], {
      cwd: ROOT,
      // The jobs' logs go to the test's folder (sbatch reads SBATCH_OUTPUT), not into the repository.
      env: { ...env, N: "2", OUT: sharded, FLAGS: flags, SBATCH_OUTPUT: path.join(dir, "log", "slurm-%A_%a.out") },
      encoding: "utf8",
    });
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout.trim()).to.match(/^\d+$/); // the merge's job id (the array's went into $array)
    for (let i = 0; i < 600; i++) {
      const q = spawnSync("squeue", ["-h", "-o", "%i"], { env, encoding: "utf8" });
      if (!q.stdout.trim()) break;
      await new Promise((res) => setTimeout(res, 1000));
    }
    const summary = path.join(sharded, "summary.json");
    const logs = fs
      .readdirSync(path.join(dir, "log"))
      .filter((f) => f.startsWith("slurm-"))
      .map((f) => fs.readFileSync(path.join(dir, "log", f), "utf8").slice(-400));
    expect(fs.existsSync(summary), logs.join("\n---\n")).to.equal(true);
    const whole = path.join(dir, "whole");
    const u = spawnSync(
      process.execPath,
      ["--import", "tsx", path.join(ROOT, "lib", "cli", "study.ts"), ...flags.split(" "), "--out", whole],
      {
        cwd: ROOT,
        encoding: "utf8",
      },
    );
    expect(u.status, u.stderr).to.equal(0);
    expect(summaryWithoutSeconds(summary)).to.deep.equal(summaryWithoutSeconds(path.join(whole, "summary.json")));
  });
});
