// Benchmark rows: printed as an aligned table and written as JSON.
import { mkdirSync, writeFileSync } from 'node:fs';

export interface Row { group: string; name: string; value: number; unit: string; note?: string }

export function printTable(rows: Row[]): void {
  const cols = ['group', 'name', 'value', 'unit', 'note'] as const;
  const cells = rows.map((r) => [r.group, r.name, fmt(r.value), r.unit, r.note ?? '']);
  const w = cols.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i].length)));
  const line = (v: string[]) => v.map((s, i) => (i === 2 ? s.padStart(w[i]) : s.padEnd(w[i]))).join('  ').trimEnd();
  console.log(line([...cols]));
  console.log(line(w.map((n) => '-'.repeat(n))));
  for (const c of cells) console.log(line(c));
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Math.abs(v) >= 100) return v.toFixed(0);
  if (Math.abs(v) >= 1) return v.toFixed(2);
  return v.toPrecision(3);
}

export function writeJson(rows: Row[], file: string): void {
  mkdirSync(new URL('.', `file://${file}`).pathname, { recursive: true });
  writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), node: process.version, rows }, null, 2) + '\n');
}
