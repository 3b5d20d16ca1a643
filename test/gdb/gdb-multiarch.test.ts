// Debian's gdb-multiarch in batch mode against `pkvm-emu boot --gdb` and against
// qemu-system-aarch64's gdbstub (-gdb tcp::PORT -S): the same session prints the same values for
// everything architectural (registers, memory, stop addresses, watchpoint values). Then what only
// pkvm-emu has: the system-register feature, monitor commands, `maintenance packet`, threads
// (--smp 2 once the CLI has it) and the vCPU threads of `run SCENARIO --gdb`.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort, startEmu } from './rsp-client';
import { gdbAvailable, gdbBatch } from './gdb-batch';
import { QEMU_BIN, qemuAvailable } from '../diff/qemu';
import { runCli } from '../cli/run-cli';

if (!gdbAvailable) {
  if (process.env.CI) throw new Error('gdb-multiarch is required in CI for the gdb stub tests');
  console.warn('gdb-multiarch not found — gdb stub tests against gdb skipped');
}
const img = (n: string) => new URL(`../../guest-images/bin/${n}.elf`, import.meta.url).pathname;
const root = new URL('../../', import.meta.url).pathname;

// hello.elf: 0x40081270 = "bl puts" in main, 0x40081284 = "mov w0, #0xa" after the first putc;
// 0x40085ff8 = the slot of main's saved LR (stack top 0x40086000); 0x400812f0 = "Hello from …".
const SESSION = `
info registers pc sp
watch *(long *)0x40085ff8
continue
p/x $pc
p/x *(long *)0x40085ff8
delete
break *0x40081270
continue
info registers x0 x29 x30 sp pc
p/x $cpsr
stepi
info registers pc x30
x/s $x0
x/4xg $sp
x/6i 0x40081260
rwatch *(char *)0x400812f1
continue
info registers pc x0 x3
delete
stepi
info registers pc
p $v0.d.u
p/x $fpsr
break *0x40081284
continue
set {int}$pc = 0xd4000001
stepi
p/x $pc
p/x $cpsr & 0x3cf
x/2xw 0x40081280
set {long}0x40085f00 = 0x1122334455667788
x/2xw 0x40085f00
kill
`;

/** Lines whose text depends on the stub, not on the architecture. */
function architectural(out: string): string[] {
  return out.split('\n').filter((l) => l.trim() !== '' && !/^\[Inferior 1 \(/.test(l) && !/Remote connection closed/.test(l));
}

describe.skipIf(!gdbAvailable)('gdb-multiarch against pkvm-emu', () => {
  it.skipIf(!qemuAvailable()).each([['EL1', false], ['EL2', true]])('prints what it prints against qemu-system-aarch64 for the same session (boot at %s)', async (_name, el2) => {
    const port = await freePort();
    const emu = await startEmu(['boot', img('hello'), ...(el2 ? ['--el2'] : [])], port);
    const ours = await gdbBatch(port, img('hello'), SESSION);
    await emu.done;
    const qport = await freePort();
    const q = spawn(QEMU_BIN, ['-M', el2 ? 'virt,virtualization=on' : 'virt', '-cpu', 'cortex-a57', '-m', '128M', '-nographic', '-monitor', 'none', '-serial', 'null',
      '-kernel', img('hello'), '-gdb', `tcp:127.0.0.1:${qport}`, '-S'], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 500));
      const theirs = await gdbBatch(qport, img('hello'), SESSION);
      expect(architectural(ours)).toEqual(architectural(theirs));
    } finally {
      q.kill('SIGKILL');
    }
    // and what the session shows holds on its own
    expect(ours).toMatch(/Hardware watchpoint 1: \*\(long \*\)0x40085ff8\n\nOld value = 0\nNew value = 1074266212\n/);
    expect(ours).toMatch(/Hardware read watchpoint 3: \*\(char \*\)0x400812f1\n\nValue = 101 'e'\n/);
    expect(ours).toMatch(/0x400812f0:\s+"Hello from pkvm-emu guest at EL"/);
    expect(ours).toMatch(/\$\d+ = 0x40080a00\n/); // the SVC stepped into VBAR_ELx (0x40080800) + 0x200
    expect(ours).toMatch(el2 ? /\$\d+ = 0x3c9\n/ : /\$\d+ = 0x3c5\n/); // at the vector: ELxh, DAIF masked
    expect(ours).toMatch(/0x40085f00:\s+0x55667788\s+0x11223344/);
  });

  it('system registers, monitor commands, maintenance packet, threads', async () => {
    const port = await freePort();
    const emu = await startEmu(['boot', img('hello')], port);
    const out = await gdbBatch(port, img('hello'), `
break main
continue
info registers system
p/x $VBAR_EL1
p/x $CurrentEL
set $ESR_EL2 = 0x5a000000
p/x $ESR_EL2
info threads
thread 1
monitor translate 0x40080000
monitor xp 0x400812f0 8
monitor phys
x/s 0x400812f0
monitor regime el1
maintenance packet qC
maintenance packet m400812f0,5
monitor info
detach
`);
    expect(await emu.done).toBe(0);
    expect(emu.out()).toBe('Hello from pkvm-emu guest at EL1\n');
    for (const r of ['ESR_EL1', 'FAR_EL1', 'ELR_EL1', 'SPSR_EL1', 'VBAR_EL1', 'SCTLR_EL1', 'TCR_EL1', 'TTBR0_EL1', 'TTBR1_EL1', 'MAIR_EL1',
      'ESR_EL2', 'FAR_EL2', 'ELR_EL2', 'SPSR_EL2', 'VBAR_EL2', 'SCTLR_EL2', 'TCR_EL2', 'TTBR0_EL2', 'MAIR_EL2', 'HCR_EL2', 'VTTBR_EL2', 'VTCR_EL2', 'HPFAR_EL2', 'CurrentEL']) {
      expect(out).toMatch(new RegExp(`^${r}\\s+0x[0-9a-f]+\\s`, 'm'));
    }
    expect(out).toMatch(/^VBAR_EL1\s+0x40080800\s/m); // set by _start (common/start.S)
    expect(out).toMatch(/^SCTLR_EL1\s+0x30d00800\s/m); // reset value, MMU off
    expect(out).toMatch(/^HCR_EL2\s+0x80000000\s/m); // RW: RAO/WI
    expect(out).toMatch(/\$\d+ = 0x4\n/); // CurrentEL: EL1
    expect(out).toMatch(/\$\d+ = 0x5a000000\n/);
    expect(out).toMatch(/\* 1\s+Thread 1 \(cpu0: EL1\)\s+.*in main \(\)/);
    expect(out).toMatch(/0x40080000 \(cpu0, regime cur\) -> PA 0x40080000/);
    expect(out).toMatch(/0x00000000400812f0: 48 65 6c 6c 6f 20 66 72/);
    // x/s: gdb's stdout and stderr (the monitor's replies, `set debug remote`) arrive on two pipes, so
    // another line can land between the address and the string (seen under load); each is checked.
    expect(out).toMatch(/0x400812f0:\s/);
    expect(out).toMatch(/"Hello from pkvm-emu guest at EL"/);
    expect(out).toMatch(/received: "QC1"/);
    expect(out).toMatch(/received: "48656c6c6f"/);
    expect(out).toMatch(/addresses: virtual, regime el1\nbreakpoints: none\n/); // (gdb inserts them only to resume)
  });

  const smp = runCli(['boot', '--help']).out.includes('--smp');
  if (!smp) console.warn('gdb: the CLI has no --smp yet — the two-CPU thread switch test is skipped');
  it.skipIf(!smp)('--smp 2: two threads, and a thread switch shows the other CPU', async () => {
    const port = await freePort();
    const emu = await startEmu(['boot', img('hello'), '--smp', '2'], port);
    const out = await gdbBatch(port, img('hello'), `
info threads
thread 2
info registers pc
thread 1
info registers pc
kill
`);
    await emu.done;
    expect(out).toMatch(/Thread 1 \(cpu0/);
    expect(out).toMatch(/Thread 2 \(cpu1/);
    expect(out).toMatch(/\[Switching to thread 2 \(Thread 2\)\]/);
    expect(out).toMatch(/\[Switching to thread 1 \(Thread 1\)\]/);
    expect(out).toMatch(/pc\s+0x40080000\s/);
  });

  it('run SCENARIO --gdb: each vCPU of each VM is a thread; a stopped guest and a saved vCPU', async () => {
    const port = await freePort();
    const emu = await startEmu(['run', join(root, 'scenarios/multi-vcpu.yaml'), '--quiet'], port);
    const out = await gdbBatch(port, img('toucher'), `
info threads
break main
continue
info registers pc sp
p/x $HCR_EL2
p/x $VTTBR_EL2 != 0
thread 3
info registers pc x0
p/x $v0.d.u
p/x $fpcr
monitor regime ipa
monitor translate 0x40080000
detach
`);
    const code = await emu.done;
    expect(code).toBe(0);
    expect(emu.out()).toMatch(/PASS multi-vcpu/);
    for (const t of ['a/vcpu0', 'a/vcpu1', 'b/vcpu0', 'b/vcpu3', 'c/vcpu2', 'd/vcpu1']) expect(out).toContain(t);
    // a/vcpu0 runs first; main of pguest-hello is reached by it
    expect(out).toMatch(/hit Breakpoint 1, 0x[0-9a-f]+ in main \(\)/);
    expect(out).toMatch(/\$1 = 0x4000038803d603b/); // HCR_GUEST_FLAGS: TSC VM AMO SWIO RW FMO IMO + TWI/TWE, and a protected vCPU's pvm_init_traps_hcr() bits: TID1 TID3 TIDCP TACR TLOR TERR TEA TID5
    expect(out).toMatch(/\$2 = 0x1/);
    expect(out).toMatch(/\[Switching to thread 3 \(Thread 4\)\]/); // b/vcpu0 (a/vcpu0 is 2, a/vcpu1 3)
    expect(out).toMatch(/pc\s+0x40080000\s/); // b/vcpu0 has not run: its saved context
    expect(out).toMatch(/\$3 = \{0x0, 0x0\}/); // its saved FP/SIMD state (reset: zero), not <unavailable>
    expect(out).toMatch(/\$4 = 0x0/);
    // b/vcpu0 has touched nothing yet: its stage 2 is empty (translation fault, level 1: FSC 0x5)
    expect(out).toMatch(/0x40080000 \(b\/vcpu0, regime ipa\): stage-2 fault, FSC 0x5 at level 1/);
  });

  it('run SCENARIO --gdb on an a64-host scenario: the host is thread 1; a step over its HVC to the hosted EL2 stops after the hyp answered', async () => {
    const port = await freePort();
    const emu = await startEmu(['run', join(root, 'scenarios/a64-host-hcalls.yaml'), '--quiet'], port);
    const out = await gdbBatch(port, img('host-hcalls'), `
info threads
break smccc_hvc
continue
p/x $x0
delete
stepi
stepi
info registers pc x0
p/x $ESR_EL2
detach
`);
    expect(await emu.done).toBe(0);
    expect(emu.out()).toMatch(/PASS a64-host-hcalls/);
    expect(out).toMatch(/\* 1\s+Thread 1 \(host: EL1, pc 0x40080000\)/);
    expect(out).toMatch(/\$1 = 0xc6000020\n/); // the host's first hypercall: __pkvm_host_share_hyp (KVM_HOST_SMCCC_ID(32))
    // smccc_hvc: mov x18, x4; hvc #0; stp x0, x1, [x18] — the HVC is one step: the hyp (TypeScript)
    // handles it and ERETs; there is no EL2 code to step into (a native --el2 image stops at its vector).
    expect(out).toMatch(/pc\s+0x40081468\s+0x40081468 <smccc_hvc\+8>/);
    expect(out).toMatch(/x0\s+0x0\s/); // SMCCC_RET_SUCCESS
    expect(out).toMatch(/\$2 = 0x5a000000\n/); // ESR_EL2: EC 0x16 (HVC64), IL
  });
});
