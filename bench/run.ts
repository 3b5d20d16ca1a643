// `npm run bench`: all benchmarks, one table, JSON in bench/results/latest.json.
// `npm run bench -- faults` (or `cpu`, `mmu`, `gic`, `linux`): only those groups, JSON in bench/results/latest-<groups>.json.
import { benchCpu } from './cpu';
import { benchFaults } from './faults';
import { benchGic } from './gic';
import { benchLinux } from './linux';
import { benchWalk } from './walk';
import { benchWalkbench } from './walkbench';
import { printTable, writeJson, type Row } from './table';
import { Progress } from '../cli/progress';
import { Core } from '../machine/core';

const groups = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const known = ['cpu', 'mmu', 'faults', 'gic', 'linux'];
for (const g of groups) {
  if (!known.includes(g)) {
    console.error(`bench: unknown group '${g}' (groups: ${known.join(', ')})`);
    process.exit(2);
  }
}
const want = (g: string): boolean => groups.length === 0 || groups.includes(g);
// `npm run bench -- faults --no-jit`: every machine without the compiled tier (an A/B of any group).
if (process.argv.includes('--no-jit')) Core.jitDefault = false;

const rows: Row[] = [];
// A progress line on a terminal (cli/progress.ts): which group runs, how many are done.
const progress = new Progress('bench');
const all: [string, () => Row[] | Promise<Row[]>][] = [
  ['cpu', benchCpu], ['mmu', benchWalk], ['mmu', benchWalkbench], ['faults', benchFaults], ['gic', benchGic], ['linux', benchLinux],
];
const selected = all.filter(([g]) => want(g));
for (const [i, [name, run]] of selected.entries()) {
  progress.update({ done: i, total: selected.length, note: name }, true);
  rows.push(...(await run()));
}
progress.clear();
printTable(rows);
const out = new URL(`./results/latest${groups.length ? `-${groups.join('-')}` : ''}${Core.jitDefault ? '' : '-no-jit'}.json`, import.meta.url).pathname;
writeJson(rows, out);
console.log(`\nwrote ${out}`);
