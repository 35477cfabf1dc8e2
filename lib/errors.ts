/**
 * User errors: bad input a person can fix (missing folder, corrupt image, bad flag). Commands print their message
 * as one line and exit with code 2 (lib/cli/args.ts runCli), without a stack trace, having written nothing; anything else is a bug and keeps
 * its stack (exit code 1).
 */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UserError";
  }
}
