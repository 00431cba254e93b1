#!/usr/bin/env node
// The `convkit` command: train, eval, summary, bench, models, info. Mistakes on the command
// line (unknown options, bad values, unknown models) print one line and exit with code 2;
// other failures print one line and exit with 1 (CONVKIT_DEBUG=1 shows the stack).
import { Command, CommanderError } from 'commander';
import { info } from '../runtime';
import { benchCommand } from './commands/bench';
import { evalCommand } from './commands/eval';
import { infoCommand } from './commands/info';
import { modelsCommand } from './commands/models';
import { summaryCommand } from './commands/summary';
import { trainCommand } from './commands/train';
import { exit, UsageError } from './options';

const USAGE_EXIT = 2;

/** Commander's messages, sometimes with a suggestion on a second line, as one line. */
const oneLine = (text: string) => text.replace(/\s*\n\s*/g, ' ').trim();

export function buildProgram(): Command {
  const program = new Command('convkit')
    .description('Train convolutional networks fast on the CPU.')
    .version(info().version, '-v, --version')
    .exitOverride()
    .allowExcessArguments(false)
    .showSuggestionAfterError(true)
    .configureOutput({
      outputError: (text, write) => write(`convkit: ${oneLine(text.replace(/^error: /, ''))}\n`),
    });
  // Subcommands inherit the settings above (exitOverride, output, excess arguments).
  for (const make of [
    trainCommand,
    evalCommand,
    summaryCommand,
    benchCommand,
    modelsCommand,
    infoCommand,
  ])
    program.addCommand(inherit(program, make()));
  return program;
}

function inherit(program: Command, command: Command): Command {
  return command.copyInheritedSettings(program);
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  exit.code = 0;
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exit.code;
  } catch (error) {
    if (error instanceof CommanderError)
      // Help and --version "fail" with exit code 0; anything else is a usage error.
      return error.exitCode === 0 ? 0 : USAGE_EXIT;
    const message = oneLine((error as Error)?.message ?? String(error));
    const command = program.args[0] && program.commands.some((c) => c.name() === program.args[0]);
    const prefix = command ? `convkit ${program.args[0]}` : 'convkit';
    if (process.env.CONVKIT_DEBUG) console.error(error);
    else console.error(`${prefix}: ${message}`);
    return error instanceof UsageError ? USAGE_EXIT : 1;
  }
}

if (require.main === module)
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
