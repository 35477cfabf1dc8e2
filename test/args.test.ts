import { expect } from "chai";
import { defineCommand, parseCommand, usage, helpText, readmeTable, ruleOf } from "../lib/cli/args";
import { UserError } from "../lib/errors";

const SPEC = defineCommand({
  name: "demo",
  summary: "A demo command.",
  flags: {
    out: { type: "string", arg: "DIR", help: "where to write", defaultText: "out/<name>" },
    seed: { type: "int", min: 0, max: 100, default: 0, help: "a seed" },
    delta: { type: "int", min: -5, max: 5, help: "a signed step" },
    mode: { type: "choice", choices: ["a", "b"], default: "a", help: "a mode" },
    quick: { type: "boolean", help: "be quick" },
  },
  positionals: { name: "FILE", help: "input files", min: 1 },
});

const err = (argv: string[]) => {
  try {
    parseCommand(SPEC, argv);
  } catch (e) {
    expect(e).to.be.instanceOf(UserError);
    return (e as Error).message;
  }
  throw new Error(`expected a UserError for ${argv.join(" ")}`);
};

describe("lib/cli/args.ts: flags declared once", () => {
  it("parses values, defaults and positionals into typed values", () => {
    const a = parseCommand(SPEC, ["--seed", "7", "--out=x y", "f1", "--quick", "--", "--not-a-flag"]);
    expect(a).to.deep.equal({ seed: 7, out: "x y", quick: true, mode: "a", _: ["f1", "--not-a-flag"], help: false });
    expect(a.delta).to.equal(undefined);
  });

  it("takes negative numbers as values and checks them against the flag's rule (not Node's 'ambiguous')", () => {
    expect(parseCommand(SPEC, ["--delta", "-3", "f"]).delta).to.equal(-3);
    expect(err(["--seed", "-3", "f"])).to.equal("--seed must be between 0 and 100 (got -3)");
    expect(err(["--delta", "-6", "f"])).to.equal("--delta must be between -5 and 5 (got -6)");
    expect(err(["--seed", "1.5", "f"])).to.equal('--seed must be a whole number (got "1.5")');
    expect(err(["--seed", "1e3", "f"])).to.equal('--seed must be a whole number (got "1e3")');
    expect(err(["--seed", "", "f"])).to.equal('--seed must be a whole number (got "")');
  });

  it("names the culprit of every other mistake", () => {
    expect(err(["--sede", "1", "f"])).to.equal(
      "Unknown option '--sede': did you mean --seed? (npm run demo -- --help lists the flags)",
    );
    expect(err(["--zzz", "f"])).to.equal("Unknown option '--zzz' (npm run demo -- --help lists the flags)");
    expect(err(["--mode", "c", "f"])).to.equal('--mode must be one of a, b (got "c")');
    expect(err(["--quick=1", "f"])).to.equal('--quick takes no value (got "1")');
    expect(err(["f", "--out"])).to.equal("--out needs a value (--out DIR)");
    expect(err(["--out", "--quick", "f"])).to.equal("--out needs a value (--out DIR)");
    expect(err(["--out="])).to.equal("--out needs a value (DIR)");
    expect(err(["--seed", "1", "--seed", "2", "f"])).to.equal("--seed is given twice");
    expect(err([])).to.equal(
      "no file given (usage: npm run demo -- [--out DIR] [--seed N] [--delta N] [--mode a|b] [--quick] FILE...)",
    );
    const noPositionals = defineCommand({ name: "p", summary: "s", flags: {} });
    expect(() => parseCommand(noPositionals, ["x"])).to.throw(UserError, 'unexpected argument "x"');
  });

  it("--help needs no other argument and is answered from the declaration", () => {
    expect(parseCommand(SPEC, ["-h"]).help).to.equal(true);
    const text = helpText(SPEC);
    expect(text.split("\n")[0]).to.equal(`usage: ${usage(SPEC)}`);
    expect(text).to.include("--seed N");
    expect(text).to.include("a seed (whole number 0–100; default 0)");
    expect(text).to.include("where to write (default out/<name>)");
  });

  it("the README table escapes pipes and angle brackets", () => {
    expect(ruleOf(SPEC.flags.delta)).to.equal("whole number -5–5");
    const t = readmeTable([SPEC]);
    expect(t).to.include("| demo | `--mode a\\|b` | a mode | default a |");
    expect(t).to.include("default out/&lt;name&gt;");
  });
});
