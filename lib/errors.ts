/**
 * User errors: bad input a person can fix (missing folder, corrupt image, bad flag). Commands print their message
 * as one line and exit non-zero, without a stack trace; anything else is a bug and keeps its stack.
 */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UserError";
  }
}

/**
 * Run a command's main function: a UserError becomes `<command>: <message>` on stderr and exit code 2.
 */
export function runCommand(command: string, main: () => Promise<void>): void {
  main().then(
    () => undefined,
    (err: unknown) => {
      if (err instanceof UserError) {
        process.stderr.write(`${command}: ${err.message}\n`);
        process.exitCode = 2;
      } else {
        process.stderr.write(`${command}: internal error: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
        process.exitCode = 1;
      }
    },
  );
}
