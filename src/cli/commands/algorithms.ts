import type { Command } from 'commander';
import type { AlgorithmList } from '../../sdk/index.js';
import type { ContextOf } from '../context.js';
import { table } from '../format.js';

/** `stratus algorithms list`. */
export function registerAlgorithms(program: Command, ctxOf: ContextOf): void {
  program
    .command('algorithms')
    .description('built-in algorithms')
    .command('list')
    .description('list the built-in algorithms and their hyperparameters')
    .action(async (_flags: object, cmd: Command) => {
      const ctx = ctxOf(cmd);
      ctx.output(await ctx.client.algorithms.list(), render);
    });
}

function render(list: AlgorithmList): string {
  return list.items
    .map((a) => {
      const hps = table(
        ['hyperparameter', 'type', 'default', 'description'],
        a.hyperparameters.map((h) => [h.required ? `${h.name} (required)` : h.name, h.enum ? h.enum.join('|') : h.type, h.default, h.description]),
      );
      return `${a.name}: ${a.description}\n${hps}`;
    })
    .join('\n\n');
}
