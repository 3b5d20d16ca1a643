// gdb-multiarch in batch mode against a stub on 127.0.0.1:PORT (the gdb tests' driver).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const GDB = process.env.GDB_MULTIARCH || 'gdb-multiarch';
export const gdbAvailable = spawnSync(GDB, ['--version'], { stdio: 'ignore', timeout: 20_000 }).status === 0;
const tmp = mkdtempSync(join(tmpdir(), 'pkvm-gdb-'));

/** Runs gdb-multiarch -batch with the commands of `script` against 127.0.0.1:port; its output. */
export function gdbBatch(port: number, elf: string, script: string): Promise<string> {
  const f = join(tmp, `s${port}.gdb`);
  writeFileSync(f, `set pagination off\nset confirm off\nset width 0\ntarget remote 127.0.0.1:${port}\n${script}\n`);
  return new Promise((resolve, reject) => {
    const p = spawn(GDB, ['-nx', '-batch', '-x', f, elf], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { out += d; });
    const t = setTimeout(() => { p.kill('SIGKILL'); reject(new Error(`gdb timed out:\n${out}`)); }, 90_000);
    p.on('exit', () => { clearTimeout(t); resolve(out); });
  });
}
