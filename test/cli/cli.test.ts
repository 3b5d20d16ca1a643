// The CLI as a user meets it: output, exit status, and one-line errors (never a stack trace).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectOneLineError, runCli } from './run-cli';

const img = (n: string) => new URL(`../../guest-images/bin/${n}.elf`, import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'pkvm-cli-'));

const run = (...args: string[]) => runCli(args, { encoding: 'latin1', timeout: 60_000 });

describe('pkvm-emu boot', () => {
  it('boots hello at EL1 and EL2 with exit status 0', () => {
    expect(run('boot', img('hello'))).toMatchObject({ status: 0, out: 'Hello from pkvm-emu guest at EL1\n' });
    expect(run('boot', img('hello'), '--el2')).toMatchObject({ status: 0, out: 'Hello from pkvm-emu guest at EL2\n' });
  });
  it('--stats prints instructions, wall time and MIPS to stderr (and the rest: test/cli/stats.test.ts)', () => {
    const r = run('boot', img('hello'), '--stats');
    expect(r.status).toBe(0);
    expect(r.err).toMatch(/^instructions: \d+\nwall time: [\d.]+ s\nMIPS: [\d.]+\ncpu0: \d+ instructions retired\n/);
    expect(r.err).toMatch(/\n(jit: .*\n){4}$/);
    expect(r.err).toMatch(/jit: wall time: [\d.]+ ms in compiled code \([\d.]+%, [\d.-]+ MIPS\), [\d.]+ ms compiling \([\d.]+%\), [\d.]+ ms interpreting and the rest/);
    expect(r.err).toMatch(/jit: instructions retired: \d+ compiled \([\d.]+%\), \d+ interpreted/);
  });
  it('--no-jit: the interpreter alone, same output; --stats says so', () => {
    const a = run('boot', img('hello'), '--stats', '--no-jit');
    const b = run('boot', img('hello'));
    expect(a.status).toBe(0);
    expect(a.out).toBe(b.out);
    expect(a.err).toMatch(/\njit: off \(--no-jit\): every instruction interpreted\n$/);
  });
  it('missing file', () => expectOneLineError(run('boot', join(tmp, 'nope.elf')), /nope\.elf: no such file/));
  it('not an ELF: booted raw at RAM base + 0x80000 as QEMU -kernel does (text as code: stuck at the vector)', () => {
    const f = join(tmp, 'text.elf');
    writeFileSync(f, 'hello world, not an elf at all');
    // The first word traps (SIMD&FP access with CPACR_EL1.FPEN = 0) into VBAR_EL1 = 0, outside RAM.
    expectOneLineError(run('boot', f, '--max-insns', '10000'), /stuck: recursive exception loop at EL1 vector 0x200 .* raised by pc 0x40080000/);
  });
  it('--smp 2: all CPUs asleep or off with nothing to wake them', () => {
    const f = join(tmp, 'wfi.img');
    writeFileSync(f, Buffer.from([0x7f, 0x20, 0x03, 0xd5, 0xff, 0xff, 0xff, 0x17])); // wfi; b .-4 (raw)
    expectOneLineError(run('boot', f, '--smp', '2'), /every CPU is off or waits for an interrupt \(WFI\) with nothing to wake it \(CPU 0 at pc 0x40080004\)/);
  });
  it('--smp out of range', () => expectOneLineError(run('boot', img('hello'), '--smp', '9'), /--smp 9: give a number of CPUs from 1 to 8/));
  it('--dump-dtb writes the devicetree and exits', () => {
    const f = join(tmp, 'board.dtb');
    expect(run('boot', img('hello'), '--smp', '2', '--dump-dtb', f)).toMatchObject({ status: 0, out: '' });
    expect(readFileSync(f).readUInt32BE(0)).toBe(0xd00dfeed);
  });
  it('truncated Image header', () => {
    const f = join(tmp, 'trunc.img');
    const b = Buffer.alloc(62); b.write('ARM\x64', 56, 'latin1');
    writeFileSync(f, b);
    expectOneLineError(run('boot', f), /trunc\.img: truncated arm64 Image/);
  });
  it('ELF for another machine', () => {
    const f = join(tmp, 'x86.elf');
    const b = Buffer.alloc(64);
    b.write('\x7fELF', 0, 'latin1'); b[4] = 2; b[5] = 1; b[6] = 1; b.writeUInt16LE(2, 16); b.writeUInt16LE(62, 18);
    writeFileSync(f, b);
    expectOneLineError(run('boot', f), /not an AArch64 ELF/);
  });
  it('segment outside RAM', () => {
    expectOneLineError(run('boot', img('hello'), '--mem', '1M', '--raw', '0x50000000'), /does not fit in RAM/);
  });
  it('bad size syntax', () => expectOneLineError(run('boot', img('hello'), '--mem', '12Q'), /--mem: bad size/));
  it('instruction limit reached', () => expectOneLineError(run('boot', img('loop'), '--max-insns', '1000'), /instruction limit reached \(1000/));
  it('unknown flag → usage error', () => expectOneLineError(run('boot', img('hello'), '--bogus'), /unknown option '--bogus'/, 2));
  it('unknown command → usage error', () => expectOneLineError(run('frobnicate'), /unknown command/, 2));
});
