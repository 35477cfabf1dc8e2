/**
 * Each command's flags, declared once (name, type, default, rule, help text), and everything made from that one
 * declaration: the parser, `--help`, the usage line and README.md's command table (lib/cli/readme.ts). The pattern is
 * tfjs-examples' jena-weather `train-rnn.js` (one argparse declaration per command).
 *
 * The tokenizer is written by hand instead of Node's `util.parseArgs` for one reason: `util.parseArgs` refuses
 * `--seed -3` as "argument is ambiguous" before we can check it, and a user should get the flag's own rule
 * ("--seed must be between 0 and …") instead. It is short: `--flag value`, `--flag=value`, boolean `--flag`, `-h`,
 * `--`, positionals.
 */
import { UserError } from "../errors";
import { requestedBackend, type BackendName } from "../backend";

/** A flag taking free text (a path, a name). `arg` names its value in the usage line (DIR, FILE, …). */
export interface TextFlag {
  type: "string";
  help: string;
  arg: string;
  default?: string;
  /** How the default is shown when it is computed at run time (e.g. "out/<split>-seed<N>"). */
  defaultText?: string;
}
/** A whole number within [min, max]. */
export interface IntFlag {
  type: "int";
  help: string;
  arg?: string;
  min: number;
  max: number;
  default?: number;
  defaultText?: string;
}
/** One of a few words. */
export interface ChoiceFlag {
  type: "choice";
  help: string;
  choices: readonly string[];
  default?: string;
  defaultText?: string;
}
/** A switch: present or not. */
export interface BooleanFlag {
  type: "boolean";
  help: string;
}
export type Flag = TextFlag | IntFlag | ChoiceFlag | BooleanFlag;

/** The positional arguments of a command (all of one kind, e.g. IMAGE...). */
export interface Positionals {
  /** Shown in the usage line, e.g. "IMAGE". */
  name: string;
  help: string;
  /** At least this many (default 0). */
  min?: number;
}

/** One command's declaration. */
export interface CommandSpec {
  /** The npm script name, e.g. "reproduce" (also the prefix of its error lines). */
  name: string;
  /** One sentence: what the command does (README table and --help). */
  summary: string;
  /** More detail for --help and the README. */
  details?: string;
  flags: Record<string, Flag>;
  positionals?: Positionals;
  /** Environment variables the command reads, with their meaning. */
  env?: Record<string, string>;
}

/** Declare a command (keeps the literal types of flag names and choices for {@link Args}). */
export function defineCommand<const S extends CommandSpec>(spec: S): S {
  return spec;
}

type ValueOf<F> = F extends { type: "int" }
  ? number
  : F extends { type: "boolean" }
    ? boolean
    : F extends { type: "choice"; choices: readonly (infer C)[] }
      ? C
      : string;
type HasValue<F> = F extends { type: "boolean" } ? true : F extends { default: unknown } ? true : false;

/** The parsed command line of a command declared as `S`: each flag's value (undefined when absent without default). */
export type Args<S extends CommandSpec> = {
  [K in keyof S["flags"]]: HasValue<S["flags"][K]> extends true
    ? ValueOf<S["flags"][K]>
    : ValueOf<S["flags"][K]> | undefined;
} & { _: string[]; help: boolean };

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++)
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  }
  return d[a.length][b.length];
}

/** Where to read about a command's flags. */
function seeHelp(spec: CommandSpec): string {
  return `npm run ${spec.name} -- --help lists the flags`;
}

/** Check one flag value against its rule; returns the typed value or throws a UserError naming the flag. */
export function flagValue(name: string, flag: Flag, raw: string): string | number | boolean {
  switch (flag.type) {
    case "boolean":
      throw new UserError(`--${name} takes no value (got "${raw}")`);
    case "string":
      if (raw === "") throw new UserError(`--${name} needs a value (${flag.arg})`);
      return raw;
    case "int": {
      if (!/^[+-]?\d+$/.test(raw.trim())) throw new UserError(`--${name} must be a whole number (got "${raw}")`);
      const n = Number(raw);
      if (n < flag.min || n > flag.max)
        throw new UserError(`--${name} must be between ${flag.min} and ${flag.max} (got ${n})`);
      return n;
    }
    case "choice":
      if (!flag.choices.includes(raw))
        throw new UserError(`--${name} must be one of ${flag.choices.join(", ")} (got "${raw}")`);
      return raw;
  }
}

/** Parse a command line against a declaration. Every mistake is a UserError that names the flag and its rule. */
export function parseCommand<S extends CommandSpec>(spec: S, argv: string[]): Args<S> {
  const values: Record<string, unknown> = {};
  const positionals: string[] = [];
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i];
    if (tok === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (tok === "-h" || tok === "--help") {
      help = true;
      continue;
    }
    if (!tok.startsWith("--")) {
      if (tok.startsWith("-") && tok.length > 1 && !/^-\d/.test(tok))
        throw new UserError(`Unknown option '${tok}' (${seeHelp(spec)})`);
      positionals.push(tok);
      continue;
    }
    const eq = tok.indexOf("=");
    const name = tok.slice(2, eq < 0 ? undefined : eq);
    const flag = spec.flags[name];
    if (!flag) {
      const distance = (k: string) => (name.startsWith(k) || k.startsWith(name) ? 0 : editDistance(k, name));
      const near = Object.keys(spec.flags)
        .filter((k) => distance(k) <= 2)
        .sort((a, b) => distance(a) - distance(b));
      throw new UserError(
        `Unknown option '--${name}'${near.length ? `: did you mean --${near[0]}?` : ""} (${seeHelp(spec)})`,
      );
    }
    if (name in values) throw new UserError(`--${name} is given twice`);
    if (flag.type === "boolean") {
      if (eq >= 0) flagValue(name, flag, tok.slice(eq + 1));
      values[name] = true;
      continue;
    }
    let raw: string | undefined;
    if (eq >= 0) raw = tok.slice(eq + 1);
    else {
      raw = argv[i + 1];
      // A value may start with "-" (`--seed -3` is checked against --seed's rule), but not be another flag.
      const isFlag =
        raw !== undefined &&
        raw.startsWith("--") &&
        (raw === "--" || raw.slice(2).split("=")[0] in spec.flags || raw === "--help");
      if (raw === undefined || isFlag) throw new UserError(`--${name} needs a value (${usageOf(name, flag)})`);
      i++;
    }
    values[name] = flagValue(name, flag, raw);
  }
  if (!help) {
    const p = spec.positionals;
    if (!p && positionals.length) throw new UserError(`unexpected argument "${positionals[0]}" (${seeHelp(spec)})`);
    if (p && positionals.length < (p.min ?? 0))
      throw new UserError(`no ${p.name.toLowerCase()} given (usage: ${usage(spec)})`);
  }
  for (const [name, flag] of Object.entries(spec.flags)) {
    if (name in values) continue;
    if (flag.type === "boolean") values[name] = false;
    else if (flag.default !== undefined) values[name] = flag.default;
  }
  return { ...values, _: positionals, help } as Args<S>;
}

function usageOf(name: string, flag: Flag): string {
  switch (flag.type) {
    case "boolean":
      return `--${name}`;
    case "string":
      return `--${name} ${flag.arg}`;
    case "int":
      return `--${name} ${flag.arg ?? "N"}`;
    case "choice":
      return `--${name} ${flag.choices.join("|")}`;
  }
}

/** The usage line, e.g. `npm run predict -- [--model DIR] [--json] IMAGE...`. */
export function usage(spec: CommandSpec): string {
  const flags = Object.entries(spec.flags).map(([n, f]) => `[${usageOf(n, f)}]`);
  const p = spec.positionals;
  const pos = p ? [(p.min ?? 0) > 0 ? `${p.name}...` : `[${p.name}...]`] : [];
  return [`npm run ${spec.name} --`, ...flags, ...pos].join(" ");
}

/** The rule and default of a flag in words, e.g. "whole number 1–20; default 5". */
export function ruleOf(flag: Flag): string {
  const parts: string[] = [];
  if (flag.type === "int") parts.push(`whole number ${flag.min}–${flag.max}`);
  if (flag.type !== "boolean") {
    const d = flag.defaultText ?? (flag.default === undefined ? undefined : String(flag.default));
    if (d !== undefined) parts.push(`default ${d}`);
  }
  return parts.join("; ");
}

/** The text of `--help`. */
export function helpText(spec: CommandSpec): string {
  const rows: [string, string][] = Object.entries(spec.flags).map(([n, f]) => {
    const rule = ruleOf(f);
    return [usageOf(n, f), f.help + (rule ? ` (${rule})` : "")];
  });
  if (spec.positionals) rows.push([`${spec.positionals.name}...`, spec.positionals.help]);
  rows.push(["--help, -h", "show this help"]);
  const w = Math.min(30, Math.max(...rows.map((r) => r[0].length)) + 2);
  const lines = [`usage: ${usage(spec)}`, "", spec.summary];
  if (spec.details) lines.push("", spec.details);
  lines.push("", "flags:");
  for (const [a, b] of rows) lines.push(a.length >= w ? `  ${a}\n  ${" ".repeat(w)}${b}` : `  ${a.padEnd(w)}${b}`);
  if (spec.env) {
    lines.push("", "environment:");
    for (const [k, v] of Object.entries(spec.env)) lines.push(`  ${k.padEnd(w)}${v}`);
  }
  return lines.join("\n");
}

/** Markdown table cell text: pipes escaped, and < > as entities (else "<split>" would vanish as an HTML tag). */
const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** README.md's command tables (between `<!-- commands:start -->` and `<!-- commands:end -->`), from the declarations. */
export function readmeTable(specs: CommandSpec[]): string {
  const lines = ["| command | what it does |", "| --- | --- |"];
  for (const s of specs)
    lines.push(`| \`${cell(usage(s))}\` | ${cell(s.summary)}${s.details ? " " + cell(s.details) : ""} |`);
  lines.push("", "| command | flag | meaning | rule, default |", "| --- | --- | --- | --- |");
  for (const s of specs) {
    for (const [n, f] of Object.entries(s.flags))
      lines.push(`| ${s.name} | \`${cell(usageOf(n, f))}\` | ${cell(f.help)} | ${cell(ruleOf(f))} |`);
    if (s.positionals)
      lines.push(
        `| ${s.name} | \`${s.positionals.name}...\` | ${cell(s.positionals.help)} | ${s.positionals.min ? `at least ${s.positionals.min}` : ""} |`,
      );
  }
  return lines.join("\n");
}

/** Where a command's lines go: `out` for results, `err` for the one line of a user error. */
export interface CommandIo {
  out: (line: string) => void;
  err: (line: string) => void;
}

/** The process's own stdout and stderr. */
export const PROCESS_IO: CommandIo = {
  out: (l) => process.stdout.write(l + "\n"),
  err: (l) => process.stderr.write(l + "\n"),
};

/** The start-up work a command needs before its main, named by the command (lib/tf.ts initBackend for TensorFlow.js). */
export interface Startup {
  /** Activate a TensorFlow.js backend: `--backend` when the command declares it, else `FER_BACKEND`, else the default. */
  initBackend?: (name: BackendName) => unknown;
}

/**
 * Parse, answer `--help`, do the command's start-up ({@link Startup}), then run `main` with the parsed flags; returns
 * the exit code. A UserError anywhere becomes one line `<command>: <message>` on `io.err` and exit code 2; anything
 * else is thrown (an internal error).
 */
export async function commandMain<S extends CommandSpec>(
  spec: S,
  argv: string[],
  main: (args: Args<S>) => Promise<number | void>,
  io: Partial<CommandIo> = {},
  startup: Startup = {},
): Promise<number> {
  const { out, err } = { ...PROCESS_IO, ...io };
  try {
    const requested = requestedBackend(); // a bad FER_BACKEND is reported by every command, even with --help
    const args = parseCommand(spec, argv);
    if (args.help) {
      out(helpText(spec));
      return 0;
    }
    const flag = (args as Record<string, unknown>).backend;
    startup.initBackend?.(typeof flag === "string" ? (flag as BackendName) : requested);
    return (await main(args)) ?? 0;
  } catch (e) {
    if (e instanceof UserError) {
      err(`${spec.name}: ${e.message}`);
      return 2;
    }
    throw e;
  }
}

/** `<command>: internal error: <stack>` and exit code 1: a bug, with its stack. */
function internalError(command: string, e: unknown): void {
  process.stderr.write(`${command}: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
}

/** A command: its declaration, its main and the start-up it needs (lib/cli/commands.ts lists every one). */
export interface Command<S extends CommandSpec = CommandSpec> {
  spec: S;
  main(args: Args<S>): Promise<number | void>;
  startup: Startup;
}

/** Put a command together (each lib/cli/ module exports one, and runs it when it is the program). */
export function defineCli<S extends CommandSpec>(
  spec: S,
  main: (args: Args<S>) => Promise<number | void>,
  startup: Startup = {},
): Command<S> {
  return { spec, main, startup };
}

/** {@link commandMain} of a command: what `npm run <name> -- argv` does, in this process (tests use it). */
export function runCommand(command: Command, argv: string[], io: Partial<CommandIo> = {}): Promise<number> {
  return commandMain(command.spec, argv, (a) => command.main(a), io, command.startup);
}

/**
 * Run a command as the program: {@link commandMain} on `process.argv`, and the exit code 0, 2 (user error) or 1
 * (internal error, with its stack). A UserError or an internal error that escapes `main` later (in a callback, an
 * unhandled rejection) is reported the same way.
 */
export function runCli(command: Command): void {
  const { spec } = command;
  const escaped = (e: unknown) => {
    if (e instanceof Error && e.name === "UserError") {
      process.stderr.write(`${spec.name}: ${e.message}\n`);
      process.exit(2);
    }
    internalError(spec.name, e);
    process.exit(1);
  };
  process.on("uncaughtException", escaped);
  process.on("unhandledRejection", escaped);
  runCommand(command, process.argv.slice(2), PROCESS_IO).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => internalError(spec.name, e),
  );
}
