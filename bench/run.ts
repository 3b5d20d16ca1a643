// `npm run bench`: all benchmarks, one table, JSON in bench/results/latest.json.
import { benchCpu } from './cpu';
import { benchFaults } from './faults';
import { benchGic } from './gic';
import { benchWalk } from './walk';
import { benchWalkbench } from './walkbench';
import { printTable, writeJson, type Row } from './table';
import { Progress } from '../cli/progress';

const rows: Row[] = [];
// A progress line on a terminal (cli/progress.ts): which group runs, how many are done.
const progress = new Progress('bench');
const groups: [string, () => Row[] | Promise<Row[]>][] = [['cpu', benchCpu], ['mmu', benchWalk], ['walkbench', benchWalkbench], ['faults', benchFaults], ['gic', benchGic]];
for (const [i, [name, run]] of groups.entries()) {
  progress.update({ done: i, total: groups.length, note: name }, true);
  rows.push(...(await run()));
}
progress.clear();
printTable(rows);
const out = new URL('./results/latest.json', import.meta.url).pathname;
writeJson(rows, out);
console.log(`\nwrote ${out}`);
