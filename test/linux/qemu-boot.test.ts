// The reference side of the Linux boot: Debian's kernel (npm run linux:fetch) with the project's
// initramfs on qemu-system-aarch64 -M virt,virtualization=on,gic-version=3 -cpu max -smp 2 -m 1G and
// kvm-arm.mode=protected reaches the pKVM line and /init's checks, runs the project's VMM with the
// hello and toucher guests under the kernel's own KVM, and powers off. Skipped (with a
// message) when the kernel cache or QEMU is missing; CI fetches both.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { EXPECTED_INIT_2CPU, EXPECTED_KERNEL_LINES, EXPECTED_VMM_GUEST_LINES, initLines, kernelLines } from './expected-init';

const root = join(__dirname, '../..');
const cache = process.env.PKVM_LINUX_CACHE ?? join(root, '.cache/linux');
const haveKernel = existsSync(join(cache, 'Image')) && existsSync(join(cache, 'initramfs.cpio.gz'));
const haveQemu = spawnSync('qemu-system-aarch64', ['--version']).status === 0;
if (!haveKernel) console.warn(`test/linux: no kernel in ${cache} (run npm run linux:fetch): QEMU Linux boot skipped`);

describe.skipIf(!haveKernel || !haveQemu)('Linux on qemu-system-aarch64 (reference)', () => {
  it('boots with kvm-arm.mode=protected to /init, whose checks print the expected lines, and powers off', () => {
    const r = spawnSync('bash', [join(root, 'linux/run-qemu.sh'), 'pkvm_emu.test=1'], { encoding: 'utf8', timeout: 240_000, env: { ...process.env, PKVM_LINUX_CACHE: cache } });
    expect(r.status, r.stdout.slice(-2000)).toBe(0);
    expect(initLines(r.stdout)).toEqual(EXPECTED_INIT_2CPU);
    const klog = kernelLines(r.stdout);
    for (const re of EXPECTED_KERNEL_LINES) expect(klog.some((l) => re.test(l)), String(re)).toBe(true);
    const lines = r.stdout.split(/\r?\n/).map((l) => l.trimEnd());
    for (const l of EXPECTED_VMM_GUEST_LINES) expect(lines).toContain(l);
    expect(r.stdout).toMatch(/reboot: Power down/);
  }, 300_000);
});
