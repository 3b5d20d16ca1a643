// The devicetree against QEMU's: `pkvm-emu boot --dump-dtb` and `qemu-system-aarch64 -M
// virt,gic-version=3,dumpdtb=F` for the same -smp / -m (/ virtualization=on for --el2), decompiled
// and compared node by node, property by property. Every intended difference is listed below.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFdt, type FdtNode } from '../../machine/fdt';

const root = new URL('../..', import.meta.url).pathname;
const cli = join(root, 'dist/pkvm-emu.mjs');
const bootinfo = join(root, 'guest-images/bin/bootinfo.elf');
const has = (c: string) => spawnSync('sh', ['-c', `command -v ${c}`], { stdio: 'ignore' }).status === 0;

/** Devices of QEMU's virt board that pkvm-emu does not model: whole subtrees left out. */
const NOT_MODELLED = [
  /^\/platform-bus@c000000$/, // dynamic sysbus devices
  /^\/fw-cfg@9020000$/, // firmware configuration
  /^\/gpio-keys$/, /^\/pl061@9030000$/, // GPIO and its power-off key
  /^\/pl031@9010000$/, // RTC
  /^\/pcie@10000000$/, // PCIe host bridge
  /^\/flash@0$/, // CFI flash
  /^\/intc@8000000\/its@8080000$/, // the GICv3 ITS (no ITS, no MSIs)
];
/** Properties of QEMU's that are left out: random seeds (runs are deterministic). */
const PROPS_LEFT_OUT = new Set(['/chosen:rng-seed', '/chosen:kaslr-seed']);

function flatten(n: FdtNode, path: string, out: Map<string, FdtNode>): void {
  out.set(path, n);
  for (const c of n.children) flatten(c, path === '/' ? `/${c.name}` : `${path}/${c.name}`, out);
}
function nodes(dtb: Uint8Array): Map<string, FdtNode> {
  const m = new Map<string, FdtNode>();
  flatten(parseFdt(dtb).root, '/', m);
  return m;
}
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function ours(args: string[]): Uint8Array {
  const f = join(mkdtempSync(join(tmpdir(), 'dtb-')), 'ours.dtb');
  const r = spawnSync('node', [cli, 'boot', bootinfo, '--dump-dtb', f, ...args], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return readFileSync(f);
}
function qemus(machine: string, args: string[]): Uint8Array {
  const f = join(mkdtempSync(join(tmpdir(), 'dtb-')), 'qemu.dtb');
  const r = spawnSync('qemu-system-aarch64', ['-M', `${machine},dumpdtb=${f}`, '-cpu', 'max', '-nographic', ...args], { encoding: 'utf8', timeout: 30_000 });
  expect(r.status, r.stderr).toBe(0);
  return readFileSync(f);
}

/** The differences between the trees other than the listed ones (empty when they agree). */
function compare(a: Uint8Array, q: Uint8Array): string[] {
  const A = nodes(a), Q = nodes(q);
  const diffs: string[] = [];
  for (const [path, qn] of Q) {
    if (NOT_MODELLED.some((r) => r.test(path))) continue;
    if (NOT_MODELLED.some((r) => r.test(path.split('/').slice(0, -1).join('/')))) continue;
    const an = A.get(path);
    if (!an) { diffs.push(`missing node ${path}`); continue; }
    for (const [k, v] of qn.props) {
      if (PROPS_LEFT_OUT.has(`${path}:${k}`)) continue;
      const av = an.props.get(k);
      if (!av) diffs.push(`${path}: missing ${k}`);
      else if (hex(av) !== hex(v)) diffs.push(`${path}: ${k} = ${hex(av)}, QEMU ${hex(v)}`);
    }
    for (const k of an.props.keys()) if (!qn.props.has(k)) diffs.push(`${path}: extra ${k}`);
  }
  for (const path of A.keys()) if (!Q.has(path)) diffs.push(`extra node ${path}`);
  return diffs;
}

const ok = has('qemu-system-aarch64') && has('dtc');
describe.skipIf(!ok)('devicetree = QEMU virt,gic-version=3 (listed differences aside)', () => {
  const cases: Array<[string, string[], string, string[]]> = [
    ['1 CPU, 128 MiB', ['--smp', '1', '--mem', '128M'], 'virt,gic-version=3', ['-smp', '1', '-m', '128M']],
    ['2 CPUs, 64 MiB', ['--smp', '2', '--mem', '64M'], 'virt,gic-version=3', ['-smp', '2', '-m', '64M']],
    ['4 CPUs, 256 MiB', ['--smp', '4', '--mem', '256M'], 'virt,gic-version=3', ['-smp', '4', '-m', '256M']],
    ['8 CPUs, 1 GiB', ['--smp', '8', '--mem', '1G'], 'virt,gic-version=3', ['-smp', '8', '-m', '1G']],
    ['4 CPUs at EL2 (virtualization=on: SMC conduit, GIC maintenance interrupt)', ['--smp', '4', '--mem', '128M', '--el2'],
      'virt,gic-version=3,virtualization=on', ['-smp', '4', '-m', '128M']],
  ];
  for (const [name, ourArgs, machine, qArgs] of cases) {
    it(name, () => {
      const a = ours(ourArgs);
      expect(compare(a, qemus(machine, qArgs))).toEqual([]);
      const d = spawnSync('dtc', ['-I', 'dtb', '-O', 'dts', '-o', '/dev/null', '-'], { input: a });
      expect(d.status).toBe(0);
    }, 60_000);
  }
  it('with a kernel command line (/chosen/bootargs), as QEMU gives a Linux Image with -append', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dtb-'));
    // The Image form of bootinfo (QEMU only adds bootargs for a kernel it loads as Linux).
    const elf = readFileSync(bootinfo);
    const img = join(dir, 'Image');
    spawnSync('sh', ['-c', `aarch64-linux-gnu-objcopy -O binary ${bootinfo} ${img} 2>/dev/null || true`]);
    if (!has('aarch64-linux-gnu-objcopy')) return;
    expect(elf.length).toBeGreaterThan(0);
    const a = join(dir, 'ours.dtb');
    const r = spawnSync('node', [cli, 'boot', img, '--smp', '2', '--append', 'console=ttyAMA0 earlycon', '--dump-dtb', a], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const q = join(dir, 'qemu.dtb');
    const s = spawnSync('qemu-system-aarch64', ['-M', `virt,gic-version=3,dumpdtb=${q}`, '-cpu', 'max', '-nographic', '-smp', '2', '-m', '128M',
      '-kernel', img, '-append', 'console=ttyAMA0 earlycon'], { encoding: 'utf8', timeout: 30_000 });
    expect(s.status, s.stderr).toBe(0);
    expect(compare(readFileSync(a), readFileSync(q))).toEqual([]);
  }, 60_000);
});
