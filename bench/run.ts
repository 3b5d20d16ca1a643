// `npm run bench`: all benchmarks, one table, JSON in bench/results/latest.json.
// `npm run bench -- faults` (or `cpu`, `mmu`): only those groups, JSON in bench/results/latest-<groups>.json.
import { benchCpu } from './cpu';
import { benchFaults } from './faults';
import { benchWalk } from './walk';
import { benchWalkbench } from './walkbench';
import { printTable, writeJson, type Row } from './table';

const groups = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const known = ['cpu', 'mmu', 'faults'];
for (const g of groups) {
  if (!known.includes(g)) {
    console.error(`bench: unknown group '${g}' (groups: ${known.join(', ')})`);
    process.exit(2);
  }
}
const want = (g: string): boolean => groups.length === 0 || groups.includes(g);

const rows: Row[] = [];
if (want('cpu')) rows.push(...benchCpu());
if (want('mmu')) {
  rows.push(...(await benchWalk()));
  rows.push(...(await benchWalkbench()));
}
if (want('faults')) rows.push(...benchFaults());
printTable(rows);
const out = new URL(`./results/latest${groups.length ? `-${groups.join('-')}` : ''}.json`, import.meta.url).pathname;
writeJson(rows, out);
console.log(`\nwrote ${out}`);
