/**
 * Every `npm run` command, in the README's order: its declaration, main and start-up (lib/cli/args.ts Command). The
 * README's command tables are made from this list (lib/cli/readme.ts), and the tests run each command in-process
 * through it.
 */
import type { Command } from "./args";
import { reproduceCommand } from "./reproduce";
import { studyCommand } from "./study";
import { predictCommand } from "./predict";
import { explainCommand } from "./explain";
import { demoCommand } from "./demo";
import { figuresCommand } from "./figures";
import { benchCommand } from "./bench";
import { notebooksCommand } from "./notebooks";
import { manifestCommand } from "./manifest";
import { bookCommand } from "./book";
import { peersCommand } from "./peers";

export const COMMANDS: readonly Command[] = [
  reproduceCommand,
  studyCommand,
  predictCommand,
  explainCommand,
  peersCommand,
  demoCommand,
  figuresCommand,
  benchCommand,
  notebooksCommand,
  bookCommand,
  manifestCommand,
];

/** A command by its npm script name. */
export function commandNamed(name: string): Command {
  const c = COMMANDS.find((x) => x.spec.name === name);
  if (!c) throw new Error(`no command "${name}"`);
  return c;
}
