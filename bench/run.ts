// `npm run bench`: all benchmarks, one table, JSON in bench/results/latest.json.
import { benchCpu } from './cpu';
import { benchFaults } from './faults';
import { benchGic } from './gic';
import { benchWalk } from './walk';
import { benchWalkbench } from './walkbench';
import { printTable, writeJson, type Row } from './table';

const rows: Row[] = [];
rows.push(...benchCpu());
rows.push(...(await benchWalk()));
rows.push(...(await benchWalkbench()));
rows.push(...benchFaults());
rows.push(...benchGic());
printTable(rows);
const out = new URL('./results/latest.json', import.meta.url).pathname;
writeJson(rows, out);
console.log(`\nwrote ${out}`);
