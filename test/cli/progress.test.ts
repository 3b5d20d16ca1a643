// Progress on a terminal (cli/progress.ts): a status line on stderr rewritten in place and erased at
// the end, only when stdout and stderr are terminals; nothing at all otherwise.
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { Progress } from '../../cli/progress';
import { cliPath, runCli } from './run-cli';
import { writeElf64 } from '../gen/elf-writer';

describe('Progress', () => {
  function make(enabled: boolean) {
    let now = 0;
    const out: string[] = [];
    const p = new Progress('boot x.elf', { enabled, write: (s) => out.push(s), now: () => now, intervalMs: 200, columns: 200 });
    return { p, out, tick: (ms: number) => { now += ms; } };
  }
  it('writes a status line with instructions, guest time (16 ns each) and MIPS, at most every interval', () => {
    const { p, out, tick } = make(true);
    tick(1000);
    p.update({ insns: 62_500_000n }); // 1 s of guest time in 1 s of wall time: 62.5 MIPS
    expect(out).toEqual(['\r\x1b[Kboot x.elf  62,500,000 insns  guest time 1.000000 s  62.5 MIPS']);
    tick(100);
    p.update({ insns: 70_000_000n });
    expect(out).toHaveLength(1); // throttled
    tick(100);
    p.update({ insns: 125_000_000n });
    expect(out[1]).toMatch(/^\r\x1b\[Kboot x\.elf {2}125,000,000 insns {2}guest time 2\.000000 s/);
    p.clear();
    expect(out.at(-1)).toBe('\r\x1b[K');
    p.clear();
    expect(out).toHaveLength(3); // nothing shown, nothing to erase
  });
  it('draws a bar for done/total', () => {
    const { p } = make(true);
    expect(p.line({ done: 5, total: 20, note: 'mmu' })).toBe('boot x.elf  [#####...............] 5/20  mmu');
  });
  it('writes nothing when disabled', () => {
    const { p, out } = make(false);
    p.update({ insns: 1n }, true);
    p.clear();
    expect(out).toEqual([]);
  });
  it('is cut to the terminal width', () => {
    const p = new Progress('x'.repeat(50), { enabled: true, write: () => {}, columns: 20 });
    expect(p.line({ note: 'y' }).length).toBe(19);
  });
});

// A guest that spins (interrupts unmasked, so not stuck) until --timeout: 0.7 s of guest time is
// ~44M instructions, more than two of the machine's 20M-instruction slices.
const dir = mkdtempSync(join(tmpdir(), 'pkvm-progress-'));
const spin = join(dir, 'spin.elf');
const words = new Uint8Array(8);
new DataView(words.buffer).setUint32(0, 0xd503_42ff, true); // msr daifclr, #2
new DataView(words.buffer).setUint32(4, 0x1400_0000, true); // b .
writeFileSync(spin, writeElf64(0x4008_0000n, [{ paddr: 0x4008_0000n, data: words }]));
const haveScript = existsSync('/usr/bin/script');

describe('progress of the CLI', () => {
  it('is quiet when stdout and stderr are not terminals: only the one-line error', () => {
    const r = runCli(['boot', spin, '--timeout', '0.7s'], { timeout: 60_000 });
    expect(r.status).toBe(1);
    expect(r.err).toBe('pkvm-emu: timeout: 0.7s of guest time (43750000 instructions, 700.000 ms at CNTFRQ 62.5 MHz) elapsed at pc 0x40080004\n');
    expect(r.out).toBe('');
  });
  it.skipIf(!haveScript)('shows a status line on a terminal (a pseudo-terminal by script(1)) and erases it', () => {
    const cmd = `${process.execPath} ${cliPath} boot ${spin} --timeout 0.7s`;
    const r = spawnSync('script', ['-qefc', cmd, '/dev/null'], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, PKVM_EMU_PROGRESS: '' } });
    const text = r.stdout;
    expect(text).toMatch(/\r\x1b\[Kboot .*spin\.elf {2}[\d,]+ insns {2}guest time \d+\.\d+ (ms|s)/);
    expect(text).toContain('\r\x1b[Kpkvm-emu: timeout: 0.7s of guest time'); // erased before the error line
  });
  it.skipIf(!haveScript)('PKVM_EMU_PROGRESS=0 silences it on a terminal', () => {
    const cmd = `${process.execPath} ${cliPath} boot ${spin} --timeout 0.7s`;
    const r = spawnSync('script', ['-qefc', cmd, '/dev/null'], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, PKVM_EMU_PROGRESS: '0' } });
    expect(r.stdout).not.toContain('insns');
    expect(r.stdout).toContain('pkvm-emu: timeout');
  });
  it.skipIf(!haveScript)('pkvm-emu test shows which scenario runs, and its PASS lines stay whole', () => {
    const sdir = mkdtempSync(join(tmpdir(), 'pkvm-progress-sc-'));
    for (const n of ['a', 'b']) writeFileSync(join(sdir, `${n}.yaml`), `name: ${n}\nvms:\n  - { name: g, protected: true, memory: 4M, image: ${join(process.cwd(), 'guest-images/bin/pguest-hello.elf')}, args: [1] }\nactions:\n  - run\n`);
    const r = spawnSync('script', ['-qefc', `${process.execPath} ${cliPath} test ${sdir}`, '/dev/null'], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, PKVM_EMU_PROGRESS: '' } });
    expect(r.stdout).toMatch(/\r\x1b\[Ktest {2}\[\.+\] 0\/2 {2}a\.yaml/);
    expect(r.stdout).toMatch(/\r\x1b\[KPASS a: /);
    expect(r.stdout).toMatch(/\r?\n?2 passed, 0 failed/);
  });
});
