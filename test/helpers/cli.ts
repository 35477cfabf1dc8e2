/**
 * Running commands in tests: spawned as `npm run` does (tsx, a fresh process: exit codes, stderr, signals), or
 * in-process through the command's own runner (lib/cli/args.ts runCommand: the same parse, start-up and main, in a
 * fraction of the time), and the checks both share.
 */
import { expect } from "chai";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { ROOT } from "../../lib/paths";
import { initBackend } from "../../lib/tf";
import { runCommand } from "../../lib/cli/args";
import { commandNamed } from "../../lib/cli/commands";

/** What a command did: its exit code (null: killed or timed out), stdout and stderr. */
export interface CommandRun {
  code: number | null;
  out: string;
  err: string;
}

export const cliPath = (cli: string) => path.join(ROOT, "lib", "cli", `${cli}.ts`);

/** Run a command the way `npm run` does (tsx), capturing output. */
export function run(cli: string, args: string[], env: NodeJS.ProcessEnv = {}, timeout = 300_000): CommandRun {
  const r = spawnSync(process.execPath, ["--import", "tsx", cliPath(cli), ...args], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, ...env },
    timeout,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** As {@link run}, without waiting (runs at once). */
export function runAsync(
  cli: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
  timeout = 300_000,
): Promise<CommandRun> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ["--import", "tsx", cliPath(cli), ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      timeout,
    });
    let out = "";
    let err = "";
    p.stdout.on("data", (d: Buffer) => (out += d.toString()));
    p.stderr.on("data", (d: Buffer) => (err += d.toString()));
    p.on("close", (code) => resolve({ code, out, err }));
  });
}

/**
 * Run a command in this process (lib/cli/args.ts runCommand) with `env` added to the environment, capturing what it
 * writes to stdout and stderr (its console lines included) and its exit code; an internal error is exit code 1 with
 * its stack, as the program would print it. The environment and the TensorFlow.js backend are put back afterwards.
 */
export async function runInProcess(cli: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<CommandRun> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  const streams = { out: process.stdout.write, err: process.stderr.write };
  let out = "";
  let err = "";
  const capture = (add: (s: string) => void) =>
    ((chunk: string | Uint8Array) => {
      add(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString());
      return true;
    }) as typeof process.stdout.write;
  Object.assign(process.env, env);
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete process.env[k];
  process.stdout.write = capture((s) => (out += s));
  process.stderr.write = capture((s) => (err += s));
  let code: number;
  try {
    code = await runCommand(commandNamed(cli), args, { out: (l) => (out += l + "\n"), err: (l) => (err += l + "\n") });
  } catch (e) {
    err += `${cli}: internal error: ${(e as Error).stack ?? String(e)}\n`;
    code = 1;
  } finally {
    process.stdout.write = streams.out;
    process.stderr.write = streams.err;
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    initBackend("cpu-fast");
  }
  return { code, out, err };
}

/** A user error: exit 2, exactly one line on stderr naming the culprit, no stack trace. */
export function expectUserError(r: CommandRun, pattern: RegExp): void {
  expect(r.code, r.err).to.equal(2);
  const lines = r.err
    .trim()
    .split("\n")
    .filter((l) => !/^npm warn/.test(l));
  expect(lines.length, r.err).to.equal(1);
  expect(lines[0]).to.match(pattern);
  expect(r.err).to.not.match(/\n\s+at /);
}

/** Every file and folder under `dir` (relative paths, sorted), to check that a failed command wrote nothing. */
export function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      out.push(`${path.relative(dir, p)}${e.isDirectory() ? "/" : ` ${fs.lstatSync(p).size}`}`);
      if (e.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out.sort();
}

/** Copy a folder (the fake data set) to make a damaged variant of it. */
export function copyDir(from: string, to: string): string {
  fs.cpSync(from, to, { recursive: true });
  return to;
}
