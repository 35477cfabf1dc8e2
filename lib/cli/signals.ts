/**
 * Ctrl-C and SIGTERM for the commands that train: the first asks the work to stop after its current batch (the last
 * epoch's checkpoint stands, so `--resume` continues exactly), a second exits at once. The handlers are removed when
 * the command's work ends, so a command run in-process (the tests) leaves the process as it found it.
 */

/** A stop request: `requested()` is polled by training; `remove()` takes the handlers away again. */
export interface StopSignals {
  requested: () => boolean;
  remove: () => void;
}

/** Listen for SIGINT and SIGTERM; `say` tells the user, once, what stopping means for this command. */
export function stopSignals(say: (signal: string) => void): StopSignals {
  let stop = false;
  const handlers = (["SIGINT", "SIGTERM"] as const).map((signal) => {
    const h = () => {
      if (stop) process.exit(130); // a second one: stop at once
      stop = true;
      say(signal);
    };
    process.on(signal, h);
    return [signal, h] as const;
  });
  return {
    requested: () => stop,
    remove: () => handlers.forEach(([signal, h]) => process.off(signal, h)),
  };
}
