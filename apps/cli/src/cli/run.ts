import { CommanderError } from 'commander';
import { buildProgram } from './program.js';
import { debugRequested, oneLine } from './errors.js';

/**
 * Runs the CLI and resolves to the exit code. Every failure is reported as one line `nextnets: <message>` on stderr
 * (with the stack only under `--debug` or NEXTNETS_DEBUG=1).
 */
export async function runCli(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  // A referenced timer keeps the process alive until the command settles: otherwise, when the only pending work is an
  // unreferenced loader worker shutting down (e.g. closing after a training error), Node would drain its event loop and
  // exit 0 without reporting the error.
  const keepAlive = setInterval(() => undefined, 2 ** 30);
  try {
    await program.parseAsync([...argv]);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // help and version output end the program normally; commander already printed its own message otherwise
      return error.exitCode === 0 || error.code === 'commander.helpDisplayed' ? 0 : 1;
    }
    process.stderr.write(`nextnets: ${oneLine(error)}\n`);
    if (debugRequested(argv) && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
    return 1;
  } finally {
    clearInterval(keepAlive);
  }
}
