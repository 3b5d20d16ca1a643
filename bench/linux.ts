// Linux boot benchmark: Debian's kernel with the project's initramfs (npm run linux:fetch), booted to
// poweroff with /init's checks and the VMM guests (pkvm_emu.test=1), at EL2 with
// kvm-arm.mode=protected, 2 CPUs and 1 GiB — on pkvm-emu and on qemu-system-aarch64 (-M
// virt,virtualization=on,gic-version=3 -cpu max) in the same run. Both are timed as whole processes
// (start-up included); pkvm-emu also reports the instructions it retired (--stats). QEMU's
// instruction count is not available without TCG plugins, so the comparison is wall time.
// `npm run bench -- linux --no-jit` boots pkvm-emu with --no-jit (the boot runs in another process).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Row } from './table';
import { qemuAvailable } from './qemu';
import { Core } from '../machine/core';

const root = new URL('..', import.meta.url).pathname;
const cache = process.env.PKVM_LINUX_CACHE ?? join(root, '.cache/linux');
const APPEND = 'console=ttyAMA0 kvm-arm.mode=protected pkvm_emu.test=1';

function timed(cmd: string, args: string[]): { ms: number; out: string; err: string; status: number | null } {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 900_000, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  return { ms: performance.now() - t0, out: r.stdout ?? '', err: r.stderr ?? '', status: r.status };
}

export function benchLinux(reps = 1): Row[] {
  const image = join(cache, 'Image'), initrd = join(cache, 'initramfs.cpio.gz');
  if (!existsSync(image) || !existsSync(initrd)) {
    return [{ group: 'linux', name: 'boot to poweroff', value: NaN, unit: 's', note: `no kernel in ${cache}: npm run linux:fetch` }];
  }
  const rows: Row[] = [];
  let best: { ms: number; insns: number } | undefined;
  for (let i = 0; i < reps; i++) {
    const r = timed('node', [join(root, 'dist/pkvm-emu.mjs'), 'boot', ...(Core.jitDefault ? [] : ['--no-jit']), '--el2', '--smp', '2', '--mem', '1G',
      '--initrd', initrd, '--append', APPEND, '--stats', image]);
    if (r.status !== 0 || !/INIT: checks done/.test(r.out)) throw new Error(`linux bench: pkvm-emu boot failed (${r.status}): ${r.err.split('\n').slice(-3).join(' ')}`);
    const insns = Number(/instructions: (\d+)/.exec(r.err)?.[1] ?? NaN);
    if (!best || r.ms < best.ms) best = { ms: r.ms, insns };
  }
  rows.push({ group: 'linux', name: 'boot to poweroff pkvm-emu', value: best!.ms / 1000, unit: 's', note: `${(best!.insns / 1e6).toFixed(0)} M instructions, ${(best!.insns / best!.ms / 1000).toFixed(1)} MIPS (whole process)` });
  if (!qemuAvailable()) {
    rows.push({ group: 'linux', name: 'boot to poweroff qemu-system-aarch64', value: NaN, unit: 's', note: 'not installed: no comparison' });
    return rows;
  }
  let qbest = Infinity;
  for (let i = 0; i < reps; i++) {
    const q = timed('qemu-system-aarch64', ['-M', 'virt,virtualization=on,gic-version=3', '-cpu', 'max', '-smp', '2', '-m', '1G', '-nographic', '-no-reboot',
      '-monitor', 'none', '-serial', 'stdio', '-kernel', image, '-initrd', initrd, '-append', APPEND]);
    if (q.status !== 0 || !/INIT: checks done/.test(q.out)) throw new Error(`linux bench: QEMU boot failed (${q.status})`);
    qbest = Math.min(qbest, q.ms);
  }
  rows.push({ group: 'linux', name: 'boot to poweroff qemu-system-aarch64', value: qbest / 1000, unit: 's', note: 'same kernel, initramfs, command line; -cpu max' });
  rows.push({ group: 'linux', name: 'boot wall-time ratio pkvm-emu/qemu', value: best!.ms / qbest, unit: 'x', note: 'below 1: pkvm-emu is faster' });
  return rows;
}
