/** `matrix`: the cloudmatrix CLI. A thin client of the manager API, plus `lab` and `manager start`. */
import { Command, CommanderError } from 'commander';
import { appCommands } from './commands/apps.ts';
import { caCommands } from './commands/ca.ts';
import { completionCommands } from './commands/completion.ts';
import { deployCommands } from './commands/deploy.ts';
import { dnsCommands } from './commands/dns.ts';
import { eventsCommands } from './commands/events.ts';
import { logsCommands } from './commands/logs.ts';
import { statsCommands } from './commands/stats.ts';
import { volumeCommands } from './commands/volumes.ts';
import { labCommands } from './commands/lab.ts';
import { managerCommands } from './commands/manager.ts';
import { nodeCommands } from './commands/node.ts';
import { secretCommands } from './commands/secrets.ts';
import { tokenCommands } from './commands/tokens.ts';
import { appendFileSync, mkdirSync } from 'node:fs';
import { isMatrixError } from '../core/errors.ts';
import { homePaths } from '../shared/home.ts';
import { errorLines } from './output.ts';

// `matrix nodes | head -3`: the reader has gone, as with any Unix tool the output just ends
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

const program = new Command();
program.name('matrix').description('cloudmatrix: a self-hosted private container cloud').version('0.1.0').showHelpAfterError().exitOverride();

labCommands(program);
managerCommands(program);
deployCommands(program);
appCommands(program);
nodeCommands(program);
caCommands(program);
secretCommands(program);
tokenCommands(program);
dnsCommands(program);
eventsCommands(program);
logsCommands(program);
statsCommands(program);
volumeCommands(program);
completionCommands(program);

// no top-level await: the bundle is CommonJS, which Node loads faster than an ES module
program.parseAsync(process.argv).catch((e: unknown) => {
  if (e instanceof CommanderError) {
    process.exitCode = e.exitCode;
  } else {
    for (const line of errorLines(e, isMatrixError(e) ? undefined : logUnexpected(e))) console.error(line);
    process.exitCode = 1;
  }
});

/** Writes an unexpected error's stack to the CLI log; returns its path (undefined if it cannot). */
function logUnexpected(e: unknown): string | undefined {
  try {
    const { root, cliLog } = homePaths();
    mkdirSync(root, { recursive: true, mode: 0o700 });
    appendFileSync(
      cliLog,
      `${new Date().toISOString()} matrix ${process.argv.slice(2).join(' ')}\n${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n\n`,
      { mode: 0o600 },
    );
    return cliLog;
  } catch {
    return undefined;
  }
}
