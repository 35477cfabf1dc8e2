import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { acquireLock, lockFile, processAlive } from "../lib/lock";
import { UserError } from "../lib/errors";

describe("lib/lock.ts: one process per output folder", () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "fer-lock-"))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const write = (info: object) => fs.writeFileSync(lockFile(dir), JSON.stringify(info));

  it("writes pid, host and start time, refuses a second taker while held, and releases only its own lock", () => {
    const a = acquireLock(dir, "first");
    const info = JSON.parse(fs.readFileSync(lockFile(dir), "utf8"));
    expect(info.pid).to.equal(process.pid);
    expect(info.host).to.equal(os.hostname());
    expect(Date.parse(info.started)).to.be.closeTo(Date.now(), 60_000);
    expect(a.tookOver).to.equal(undefined);
    expect(() => acquireLock(dir, "second")).to.throw(
      UserError,
      new RegExp(`is in use by process ${process.pid} \\(first, started `),
    );
    a.release();
    expect(fs.existsSync(lockFile(dir))).to.equal(false);
    const b = acquireLock(dir, "third");
    a.release(); // a second release of the old lock must not remove the new owner's lock
    expect(fs.existsSync(lockFile(dir))).to.equal(true);
    b.release();
  });

  it("takes over a stale lock (its process is gone) and an unreadable one, but never one of another host", () => {
    write({ pid: 999999, host: os.hostname(), started: "2024-01-01T00:00:00.000Z", command: "old" });
    const a = acquireLock(dir, "new", (pid) => pid !== 999999);
    expect(a.tookOver?.pid).to.equal(999999);
    expect(fs.readdirSync(dir)).to.deep.equal([".lock"]);
    a.release();
    fs.writeFileSync(lockFile(dir), "{ half-writ");
    const b = acquireLock(dir, "new");
    expect(b.tookOver?.command).to.equal("unreadable lock");
    b.release();
    write({ pid: 999999, host: "other-host", started: "2024-01-01T00:00:00.000Z", command: "remote" });
    expect(() => acquireLock(dir, "new", () => false)).to.throw(UserError, /in use by process 999999 on other-host/);
  });

  it("processAlive: this process is, a finished child is not", () => {
    expect(processAlive(process.pid)).to.equal(true);
    const pid = Number(
      spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" }).stdout,
    );
    expect(processAlive(pid)).to.equal(false);
  });
});
