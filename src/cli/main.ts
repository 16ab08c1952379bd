/** `matrix`: the cloudmatrix CLI. A thin client of the manager API, plus `lab` and `manager start`. */
import { Command, CommanderError } from 'commander';
import { appCommands } from './commands/apps.ts';
import { deployCommands } from './commands/deploy.ts';
import { labCommands } from './commands/lab.ts';
import { managerCommands } from './commands/manager.ts';
import { errorLines } from './output.ts';

const program = new Command();
program.name('matrix').description('cloudmatrix: a self-hosted private container cloud').version('0.1.0').showHelpAfterError().exitOverride();

labCommands(program);
managerCommands(program);
deployCommands(program);
appCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    process.exitCode = e.exitCode;
  } else {
    for (const line of errorLines(e)) console.error(line);
    process.exitCode = 1;
  }
}
