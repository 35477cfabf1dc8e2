/**
 * Imported first by every command: a UserError thrown while modules load or outside a command's main (e.g. a bad
 * FER_BACKEND in lib/tf.ts) becomes one line on stderr and exit code 2, like errors inside a command's main
 * (lib/errors.ts runCommand); anything else is an internal error with its stack, exit code 1.
 */
import * as path from "path";

function fail(e: unknown): void {
  const command = path.basename(process.argv[1] ?? "fer-ck48").replace(/\.[jt]s$/, "");
  const err = e as Error | undefined;
  if (err && err.name === "UserError") {
    process.stderr.write(`${command}: ${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`${command}: internal error: ${err?.stack ?? String(e)}\n`);
  process.exit(1);
}

// Only when a command is the program (not when a test imports a command's module).
if (require.main && path.dirname(require.main.filename) === __dirname) {
  process.on("uncaughtException", fail);
  process.on("unhandledRejection", fail);
}
