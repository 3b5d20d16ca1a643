// `npm run bench`: all benchmarks, one table, JSON in bench/results/latest.json.
import { benchCpu } from './cpu';
import { printTable, writeJson, type Row } from './table';

const rows: Row[] = [];
rows.push(...benchCpu());
printTable(rows);
const out = new URL('./results/latest.json', import.meta.url).pathname;
writeJson(rows, out);
console.log(`\nwrote ${out}`);
