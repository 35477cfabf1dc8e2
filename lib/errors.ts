/**
 * User errors: bad input a person can fix (missing folder, corrupt image, bad flag). Commands print their message
 * as one line and exit with code 2, without a stack trace, having written nothing; anything else is a bug and keeps
 * its stack (exit code 1).
 */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UserError";
  }
}

/**
 * The one way every command runs (lib/cli/args.ts runCli calls it): `main` resolves to the exit code (0 when it
 * returns nothing); a UserError becomes `<command>: <message>` on stderr and exit code 2; anything else
 * `<command>: internal error: <stack>` and exit code 1.
 */
export function runCommand(command: string, main: () => Promise<number | void>): void {
  main().then(
    (code) => {
      process.exitCode = code ?? 0;
    },
    (err: unknown) => {
      if (err instanceof UserError) {
        process.stderr.write(`${command}: ${err.message}\n`);
        process.exitCode = 2;
      } else {
        process.stderr.write(
          `${command}: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
        );
        process.exitCode = 1;
      }
    },
  );
}
