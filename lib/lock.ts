/**
 * A lock file that keeps two processes out of one output folder (`reproduce --out DIR`).
 *
 * The lock is `DIR/.lock`, created complete by a hard link (exactly one process can create it) and holding who owns it:
 * `{ pid, host, started, command }`. A lock whose process is gone (same host, `kill(pid, 0)` answers ESRCH) is stale,
 * left by a run that was killed: it is taken over. A lock held by a live process, or by another host (whose processes
 * we cannot see), is a UserError naming the owner and what to do.
 *
 * Written by hand: the well-known packages (proper-lockfile, lockfile) judge staleness by age, which is wrong for a
 * run that legitimately takes hours; the owner's pid is the fact that matters.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { UserError } from "./errors";
import { shown } from "./paths";
import { writeError } from "./files";

/** What a lock file holds. */
export interface LockInfo {
  pid: number;
  host: string;
  /** ISO time the owner started. */
  started: string;
  /** The command line of the owner, for the message. */
  command: string;
}

/** A held lock: `release()` removes it if it is still ours (idempotent). `tookOver` describes a stale lock replaced. */
export interface Lock {
  file: string;
  tookOver?: LockInfo;
  release(): void;
}

/** The lock file of a folder. */
export function lockFile(dir: string): string {
  return path.join(dir, ".lock");
}

/** Whether a process with this pid runs on this machine (EPERM: it exists but belongs to someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function readLock(file: string): LockInfo | undefined {
  try {
    const x = JSON.parse(fs.readFileSync(file, "utf8")) as LockInfo;
    return typeof x.pid === "number" && typeof x.host === "string" ? x : undefined;
  } catch {
    return undefined;
  }
}

/** The one-line error for a folder another process holds: who, running what, since when, and what to do. */
export function inUse(dir: string, owner: LockInfo): UserError {
  const where = owner.host === os.hostname() ? `process ${owner.pid}` : `process ${owner.pid} on ${owner.host}`;
  return new UserError(
    `${shown(dir)} is in use by ${where} (${owner.command}, started ${owner.started}): wait for it, choose another --out, or delete ${shown(lockFile(dir))} if that process is gone`,
  );
}

/** The owner of `dir`'s lock when a live process (or one on another host) holds it, else undefined. */
export function liveOwner(dir: string, alive: (pid: number) => boolean = processAlive): LockInfo | undefined {
  const owner = fs.existsSync(lockFile(dir)) ? readLock(lockFile(dir)) : undefined;
  return owner && holds(owner, alive) ? owner : undefined;
}

/** Whether a lock's owner still holds it: a live process here, or any process on another host (never taken over). */
function holds(owner: LockInfo, alive: (pid: number) => boolean): boolean {
  return owner.host !== os.hostname() || alive(owner.pid);
}

/**
 * Take the lock of `dir` (which must exist) for this process, taking over a stale one. Throws a UserError when
 * another live process holds it. `alive` is injectable for tests.
 */
export function acquireLock(dir: string, command: string, alive: (pid: number) => boolean = processAlive): Lock {
  const file = lockFile(dir);
  const me: LockInfo = { pid: process.pid, host: os.hostname(), started: new Date().toISOString(), command };
  let tookOver: LockInfo | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      // Created with its content in one step: write a private file, then hard-link it to the lock's name (link fails
      // with EEXIST when the lock exists). An O_EXCL create followed by a write left an empty lock for a moment, which
      // a racing process read as unreadable, hence stale, and took over: both runs went ahead.
      const tmp = `${file}.${process.pid}.tmp`;
      try {
        fs.writeFileSync(tmp, JSON.stringify(me) + "\n");
      } catch (e) {
        fs.rmSync(tmp, { force: true });
        throw writeError(file, e);
      }
      try {
        fs.linkSync(tmp, file);
      } finally {
        fs.rmSync(tmp, { force: true });
      }
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        process.removeListener("exit", release);
        if (readLock(file)?.pid === me.pid && readLock(file)?.started === me.started) fs.rmSync(file, { force: true });
      };
      process.on("exit", release);
      return { file, tookOver, release };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    const owner = readLock(file);
    if (owner && holds(owner, alive)) throw inUse(dir, owner);
    // Stale (its process is gone) or unreadable (a crash while writing it): move it aside under a name of our own,
    // so that of two processes taking over at once only one succeeds, then check we moved the lock we judged.
    const aside = `${file}.stale-${process.pid}`;
    try {
      fs.renameSync(file, aside);
    } catch {
      continue; // someone else moved it first: try again
    }
    const moved = readLock(aside);
    if (moved && owner && (moved.pid !== owner.pid || moved.started !== owner.started)) {
      // A live lock was created between our read and the rename: put it back and report it next round.
      try {
        fs.linkSync(aside, file);
      } catch {
        /* the folder moved on; the next attempt decides */
      }
      fs.rmSync(aside, { force: true });
      continue;
    }
    fs.rmSync(aside, { force: true });
    tookOver = owner ?? { pid: 0, host: "?", started: "?", command: "unreadable lock" };
  }
  throw new UserError(`cannot take the lock ${shown(file)}: other processes keep changing it; try again`);
}
