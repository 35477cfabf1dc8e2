/**
 * Imported first by every command: a UserError thrown while modules load (e.g. a bad FER_BACKEND in lib/tf.ts)
 * becomes one line on stderr and exit code 2, like errors inside a command's main (lib/errors.ts runCommand).
 */
import * as path from "path";

process.on("uncaughtException", (e: Error) => {
  const command = path.basename(process.argv[1] ?? "fer-ck48").replace(/\.[jt]s$/, "");
  if (e && e.name === "UserError") {
    process.stderr.write(`${command}: ${e.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`${command}: internal error: ${e?.stack ?? String(e)}\n`);
  process.exit(1);
});
