/** User-facing failures: the top-level handler prints `nextnets: <message>` (one line) and exits with code 1. */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

/** Whether stacks should be shown (`--debug` anywhere on the command line, or NEXTNETS_DEBUG=1). */
export function debugRequested(argv: readonly string[] = process.argv, env: NodeJS.ProcessEnv = process.env): boolean {
  return argv.includes('--debug') || env.NEXTNETS_DEBUG === '1';
}

/** One line describing `error`: its message's first line, without a tfjs/Node stack. */
export function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const first = message.split('\n').find((line) => line.trim().length > 0) ?? 'unknown error';
  return first.trim();
}
