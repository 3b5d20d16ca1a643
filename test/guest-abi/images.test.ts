// The ABI guest images end to end: pguest-abi (discovery, MEMINFO, MMIO guard, share/unshare with
// the host reading the guest's message, relinquish, an SEA from outside the guard) and pguest-smp
// (PSCI CPU_ON of vCPU 1), protected and not, under hosted pKVM with the invariants checked after
// every step; the same images without a hypervisor (the board's firmware, and QEMU when installed)
// find no pKVM and say so.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { boot, createVm, img, runToOff } from './harness';
import { HostAccessError } from '../../host-kernel-model/index';
import { Machine } from '../../machine/machine';

const dir = fileURLToPath(new URL('../../guest-images/', import.meta.url));
const expected = (n: string): string => readFileSync(`${dir}/expected/${n}.txt`, 'latin1');
const haveQemu = spawnSync('sh', ['-c', 'command -v qemu-system-aarch64'], { stdio: 'ignore' }).status === 0;

const PKVM_PROTECTED = `pguest-abi: SMCCC_VERSION 0000000000010001
pguest-abi: vendor hyp UID b66fb428 e911c52e 564bcaa9 743a004d: KVM
pguest-abi: KVM features 00000000000003fd
pguest-abi: MMIO_GUARD_ENROLL 0000000000000000
pguest-abi: MMIO_GUARD_MAP uart 0000000000000000
pguest-abi: HYP_MEMINFO 0000000000001000
pguest-abi: MMIO_GUARD_INFO 0000000000001000
pguest-abi: MEM_SHARE 0000000000000000
pguest-abi: message in the shared page at 40088000
pguest-abi: MEM_UNSHARE 0000000000000000
pguest-abi: message intact after unshare
pguest-abi: MEM_RELINQUISH 0000000000000000
pguest-abi: relinquished page now reads 0000000000000000
pguest-abi: MMIO_GUARD_MAP of RAM fffffffffffffffd
pguest-abi: MMIO_GUARD_MAP 0xa000000 0000000000000000
pguest-abi: MMIO_GUARD_UNMAP 0xa000000 0000000000000000
pguest-abi: read of 0xa000000 outside the MMIO guard: synchronous external abort, ESR_EL1 0000000096000010 FAR_EL1 000000000a000000
pguest-abi: done
`;

const PKVM_NON_PROTECTED = PKVM_PROTECTED
  .replace('features 00000000000003fd', 'features 00000000000003e5')
  .replace(/pguest-abi: MEM_SHARE[^]*message intact after unshare\n/, 'pguest-abi: no MEM_SHARE (not a protected VM)\n');

const MESSAGE = 'hello host, from a protected guest\0';
const SHARED_GFN = 0x40088n;

describe('pguest-abi', () => {
  it('protected: the whole ABI; the VMM reads the message through HostMemory while shared, and not after', () => {
    const t = boot({
      checkMmioExits: false,
      onEvent: (vm, ev) => {
        if (ev.kind !== 'unshare') return;
        expect(vm.guestShared.size).toBe(0);
        expect(() => t.kvm.mem.readBytes(ev.pa!, 8)).toThrow(HostAccessError);
      },
    });
    const reads: string[] = [];
    let line = '';
    t.kvm.opts.onConsole = (vm, b) => {
      line += String.fromCharCode(b);
      if (b !== 10) return;
      if (line.startsWith('pguest-abi: message in the shared page')) {
        // The guest wrote its message and says so on the console: the VMM reads the shared page.
        expect(vm.guestShared.has(SHARED_GFN)).toBe(true);
        const pa = vm.slot.pages.get(SHARED_GFN)!;
        reads.push(Buffer.from(t.kvm.mem.readBytes(pa, MESSAGE.length)).toString('latin1'));
      }
      line = '';
    };
    const free0 = t.kvm.alloc.freePages;
    const vm = createVm(t, { name: 'pguest-abi', memBytes: 4 << 20, image: img('pguest-abi') });
    runToOff(t, 100_000_000n);
    expect(vm.consoleText()).toBe(PKVM_PROTECTED);
    expect(reads).toEqual([MESSAGE]);
    expect(t.events.map((e) => e.ev.kind)).toEqual(['share', 'unshare', 'relinquish']);
    // The probe of 0xa000000 never reached the VMM: the only MMIO exits are the UART's.
    expect(t.el2.trace.events.filter((e) => e.kind === 'guard' && /read of IPA 0xa000000 outside memory/.test(e.text))).toHaveLength(1);
    t.kvm.destroyVm(vm);
    expect(t.el2.pkvm.checkInvariants({ strict: true })).toEqual([]);
    expect(t.kvm.alloc.freePages).toBe(free0);
  });

  it('non-protected: KVM found (host-answered discovery), no MEM_SHARE; MMIO guard and relinquish at EL2', () => {
    const t = boot({ checkMmioExits: false });
    const vm = createVm(t, { name: 'pguest-abi', protected: false, memBytes: 4 << 20, image: img('pguest-abi') });
    runToOff(t, 100_000_000n);
    expect(vm.consoleText()).toBe(PKVM_NON_PROTECTED);
  });

  it('without a hypervisor (the board firmware answers every HVC as PSCI) it finds no pKVM, as on QEMU', () => {
    const m = new Machine();
    m.load(img('pguest-abi').bytes, 'pguest-abi.elf');
    expect(m.run(50_000_000n).reason).toBe('poweroff');
    expect(m.uartText()).toBe(expected('pguest-abi-qemu'));
  });

  it.skipIf(!haveQemu)('QEMU output matches expected/pguest-abi-qemu.txt', () => {
    const out = execFileSync(`${dir}/run-qemu.sh`, ['pguest-abi'], { encoding: 'latin1', env: { ...process.env, QEMU_TIMEOUT: '60' } });
    expect(out).toBe(expected('pguest-abi-qemu'));
  });
});

describe('pguest-smp', () => {
  for (const prot of [true, false]) {
    it(`${prot ? 'protected' : 'non-protected'}: vCPU 1 started by PSCI CPU_ON prints; same output as QEMU -smp 2`, () => {
      const t = boot({ checkMmioExits: false });
      const vm = createVm(t, { name: 'pguest-smp', protected: prot, vcpus: 2, memBytes: 4 << 20, image: img('pguest-smp') });
      runToOff(t, 100_000_000n);
      expect(vm.consoleText()).toBe(expected('pguest-smp'));
      expect(vm.vcpus.map((v) => v.state)).toEqual(['runnable', 'off']);
    });
  }

  it.skipIf(!haveQemu)('QEMU -smp 2 output matches expected/pguest-smp.txt', () => {
    const out = execFileSync(`${dir}/run-qemu.sh`, ['pguest-smp', '--smp', '2'], { encoding: 'latin1', env: { ...process.env, QEMU_TIMEOUT: '60' } });
    expect(out).toBe(expected('pguest-smp'));
  });
});
