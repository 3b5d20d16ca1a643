// Debian's kernel (npm run linux:fetch) with the project's initramfs, booted to poweroff with /init's
// checks (pkvm_emu.test=1):
//   - on qemu-system-aarch64 -M virt,virtualization=on,gic-version=3 -cpu max -smp 2 -m 1G with
//     kvm-arm.mode=protected (the reference);
//   - on pkvm-emu with the same kernel, initramfs and command line (boot --el2 --smp 2 --mem 1G):
//     the pKVM line, /init's output identical to QEMU's, the VMM's guests under the kernel's own
//     KVM, poweroff with status 0, and the kernel log compared with QEMU's on the listed lines;
//   - on pkvm-emu at EL1 (no KVM) and at EL2 with kvm-arm.mode=nvhe;
//   - a kernel panic ends the run with the panic line and a non-zero status.
// Skipped (with a message) when the kernel cache or QEMU is missing; CI fetches both.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { consoleLines, EXPECTED_INIT_2CPU, EXPECTED_KERNEL_LINES, EXPECTED_VMM_GUEST_LINES, initLines, kernelLines } from './expected-init';

const root = join(__dirname, '../..');
const cache = process.env.PKVM_LINUX_CACHE ?? join(root, '.cache/linux');
const image = join(cache, 'Image'), initrd = join(cache, 'initramfs.cpio.gz');
const haveKernel = existsSync(image) && existsSync(initrd);
const haveQemu = spawnSync('qemu-system-aarch64', ['--version']).status === 0;
if (!haveKernel) console.warn(`test/linux: no kernel in ${cache} (run npm run linux:fetch): Linux boots skipped`);
const PROTECTED = 'console=ttyAMA0 kvm-arm.mode=protected pkvm_emu.test=1';

function qemuBoot(append: string) {
  return spawnSync('qemu-system-aarch64', ['-M', 'virt,virtualization=on,gic-version=3', '-cpu', 'max', '-smp', '2', '-m', '1G', '-nographic',
    '-no-reboot', '-monitor', 'none', '-serial', 'stdio', '-kernel', image, '-initrd', initrd, '-append', append],
  { encoding: 'utf8', timeout: 300_000, stdio: ['ignore', 'pipe', 'pipe'] });
}
function ourBoot(flags: string[], append: string) {
  return spawnSync('node', [join(root, 'dist/pkvm-emu.mjs'), 'boot', ...flags, '--smp', '2', '--mem', '1G', '--initrd', initrd, '--append', append, '--stats', image],
    { encoding: 'utf8', timeout: 300_000, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Kernel-log lines compared between the two machines: every line matching one of these must
 *  appear on both, the same and in the same order, after the named differences are applied. */
const COMPARED: RegExp[] = [
  /^psci: /, /^GICv3: /, /^arch_timer: /, /^clocksource: arch_sys_counter/, /^sched_clock: /, /^smp: /, /^SMP: /,
  /^CPU\d+: Booted secondary processor/, /^Detected \w+ I-cache on CPU\d+$/, /^CPU: All CPU\(s\) started at EL\d$/,
  /^CPU features: detected: (GIC system register CPU interface|Protected KVM|LSE atomic instructions|CRC32 instructions|Privileged Access Never)$/,
  /^hw-breakpoint: /, /^hw perfevents: /, /^kvm \[\d+\]: /, /^Run \/init as init process$/, /^reboot: Power down$/,
];
/** Every intended difference between QEMU's -cpu max on virt and pkvm-emu, by name. */
const DIFFERENCES: Array<{ why: string; drop?: RegExp; rewrite?: [RegExp, string] }> = [
  { why: 'no GICv3 ITS and no LPIs on pkvm-emu (not modelled; QEMU virt has an ITS)', drop: /LPI/ },
  { why: 'MIDR_EL1: pkvm-emu identifies as Arm part 0xd0f (0x410fd0f0), QEMU\'s max CPU as 0x000f0510', rewrite: [/\[0x410fd0f0\]/, '[0x000f0510]'] },
];
function compared(log: string, ours: boolean): string[] {
  let lines = kernelLines(log).filter((l) => COMPARED.some((re) => re.test(l)));
  for (const d of DIFFERENCES) {
    if (d.drop) lines = lines.filter((l) => !d.drop!.test(l));
    if (d.rewrite && ours) lines = lines.map((l) => l.replace(d.rewrite![0], d.rewrite![1]));
  }
  return lines;
}

describe.skipIf(!haveKernel)('Debian Linux with its own pKVM', () => {
  let qemuLog: string | undefined;
  it.skipIf(!haveQemu)('on qemu-system-aarch64 (reference): protected mode to /init\'s checks, the VMM guests, poweroff', () => {
    const r = qemuBoot(PROTECTED);
    expect(r.status, r.stdout.slice(-2000)).toBe(0);
    expect(initLines(r.stdout)).toEqual(EXPECTED_INIT_2CPU);
    const klog = kernelLines(r.stdout);
    for (const re of EXPECTED_KERNEL_LINES) expect(klog.some((l) => re.test(l)), String(re)).toBe(true);
    for (const l of EXPECTED_VMM_GUEST_LINES) expect(consoleLines(r.stdout)).toContain(l);
    qemuLog = r.stdout;
  }, 320_000);

  let ourLog: string | undefined;
  it('on pkvm-emu at EL2 with kvm-arm.mode=protected and 2 CPUs: the pKVM line, /init\'s checks, the VMM guests, poweroff with status 0', () => {
    const r = ourBoot(['--el2'], PROTECTED);
    expect(r.status, r.stdout.slice(-2000) + r.stderr).toBe(0);
    expect(initLines(r.stdout)).toEqual(EXPECTED_INIT_2CPU);
    const klog = kernelLines(r.stdout);
    for (const re of EXPECTED_KERNEL_LINES) expect(klog.some((l) => re.test(l)), String(re)).toBe(true);
    for (const l of EXPECTED_VMM_GUEST_LINES) expect(consoleLines(r.stdout)).toContain(l);
    expect(r.stdout).toMatch(/reboot: Power down/);
    expect(r.stderr).toMatch(/^instructions: \d+$/m);
    // --stats: the kernel, its pKVM, busybox and the guests hit no UNDEFINED encoding and no
    // unimplemented system register (EL0's MRS of MIDR_EL1, which Linux emulates, is an UNDEFINED
    // *exception* of an implemented register, as the Arm ARM has it without FEAT_IDST).
    expect(r.stderr).toMatch(/^UNDEFINED encodings: none$/m);
    expect(r.stderr).toMatch(/^unimplemented system registers: none$/m);
    ourLog = r.stdout;
  }, 320_000);

  it.skipIf(!haveQemu)('differential: /init\'s output is identical and the kernel log agrees with QEMU\'s on the compared lines', () => {
    expect(qemuLog, 'the QEMU boot above').toBeDefined();
    expect(ourLog, 'the pkvm-emu boot above').toBeDefined();
    expect(initLines(ourLog!)).toEqual(initLines(qemuLog!));
    const q = compared(qemuLog!, false), o = compared(ourLog!, true);
    expect(o.length).toBeGreaterThan(20);
    expect(o).toEqual(q);
  });

  it('on pkvm-emu at EL1 (no EL2, so no KVM): /init\'s checks with /dev/kvm absent, the virtual timer, poweroff', () => {
    const r = ourBoot([], 'console=ttyAMA0 pkvm_emu.test=1');
    expect(r.status, r.stdout.slice(-2000) + r.stderr).toBe(0);
    const want = EXPECTED_INIT_2CPU.map((l) => l === 'INIT: /dev/kvm: present' ? 'INIT: /dev/kvm: absent' : l.replace(/ exit status 0$/, ' exit status 1'));
    expect(initLines(r.stdout)).toEqual(want);
    const klog = kernelLines(r.stdout);
    expect(klog).toContain('arch_timer: cp15 timer(s) running at 62.50MHz (virt).');
    expect(klog).toContain('CPU: All CPU(s) started at EL1');
    expect(r.stdout).toMatch(/pkvm-vmm: .*\/dev\/kvm/);
    expect(r.stderr).toMatch(/^UNDEFINED encodings: none$/m);
    expect(r.stderr).toMatch(/^unimplemented system registers: none$/m);
  }, 320_000);

  it('on pkvm-emu at EL2 with kvm-arm.mode=nvhe: KVM\'s nVHE hyp initialises and runs the VMM guests', () => {
    const r = ourBoot(['--el2'], 'console=ttyAMA0 kvm-arm.mode=nvhe pkvm_emu.test=1');
    expect(r.status, r.stdout.slice(-2000) + r.stderr).toBe(0);
    expect(initLines(r.stdout)).toEqual(EXPECTED_INIT_2CPU);
    expect(kernelLines(r.stdout)).toContain('kvm [1]: Hyp mode initialized successfully');
    expect(r.stderr).toMatch(/^UNDEFINED encodings: none$/m);
    expect(r.stderr).toMatch(/^unimplemented system registers: none$/m);
    for (const l of EXPECTED_VMM_GUEST_LINES) expect(consoleLines(r.stdout)).toContain(l);
  }, 320_000);

  it('a kernel panic (no init, no root device) ends the run with the panic line and status 1, not a hang', () => {
    const r = ourBoot([], 'console=ttyAMA0 rdinit=/nonexistent');
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block\(0,0\)/);
    expect(r.stderr.trim().split('\n').filter((l) => l.startsWith('pkvm-emu:'))).toEqual(['pkvm-emu: kernel panic: VFS: Unable to mount root fs on unknown-block(0,0)']);
  }, 320_000);
});
