// Issue 15's scenarios and scenario keys: the protected guest woken by its virtual timer through the
// hyp (timeline: IRQ exits, vIRQ 27 through a HW=1 list register, its completion), the host bringing
// CPUs up through the PSCI relay on an SMP board (timeline: each CPU entered through EL2), and the
// guest-HVC ABI as a board option (machine.guest_hvc_abi, `run --guest-hvc-abi`).
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { loadScenario } from '../../cli/scenario/load';
import { runScenario } from '../../cli/scenario/runner';
import { failureLines } from '../../cli/scenario/report';
import { image, oneVm, repo, scenarioFile } from './helpers';
import { expectOneLineError, runCli } from '../cli/run-cli';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Machine } from '../../machine/machine';

const file = (n: string): string => fileURLToPath(new URL(`../../scenarios/${n}`, import.meta.url));
const run = (...args: string[]) => runCli(args, { encoding: 'utf8', timeout: 120_000, cwd: repo });

describe('protected-vtimer.yaml', () => {
  it('shows each timer interrupt in the timeline: an IRQ exit, vIRQ 27 injected through EL2, then completed by the guest', () => {
    const r = runScenario(loadScenario(file('protected-vtimer.yaml')));
    expect(failureLines(r)).toEqual([]);
    const irq = r.events.filter((e) => e.kind === 'irq').map((e) => e.text);
    expect(irq).toEqual([1, 2, 3].flatMap(() => [
      'pvm: vCPU 0 exit on physical IRQ 27 (its virtual timer): vIRQ 27 injected through EL2 (HW=1, pINTID 27)',
      "pvm: vCPU 0 completed vIRQ 27 (acknowledged and EOI'd through ICC_*; its list register is empty)",
    ]));
    // The interrupts are in time order and after the guest armed the timer (its first console line).
    const t = r.events.filter((e) => e.kind === 'irq').map((e) => e.t);
    expect([...t].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toEqual(t);
  });
});

describe('protected-vtimer.yaml --trace', () => {
  it('the Perfetto trace marks the three physical-interrupt exits apart from slice ends', () => {
    const out = join(tmpdir(), `vtimer-${process.pid}.json`);
    expect(run('run', file('protected-vtimer.yaml'), '--quiet', '--trace', out).status).toBe(0);
    const ev = (JSON.parse(readFileSync(out, 'utf8')) as { traceEvents: { name: string }[] }).traceEvents;
    expect(ev.filter((e) => e.name === 'exit: IRQ (a physical interrupt while the guest ran)')).toHaveLength(3);
  });
});

describe('host-smp.elf without a hyp', () => {
  it('on a bare 4-CPU board (PSCI by HVC to the firmware) prints what QEMU -smp 4 printed', () => {
    const m = new Machine({ smp: 4 });
    m.load(readFileSync(image('host-smp')), 'host-smp.elf');
    expect(m.run(50_000_000n).reason).toBe('poweroff');
    expect(m.uartText()).toBe(readFileSync(join(repo, 'guest-images/expected/host-smp-smp4.txt'), 'latin1'));
  });
});

describe('a64-host-smp-relay.yaml', () => {
  it('each secondary CPU is entered through EL2 at the host\'s entry with its context id, behind the host stage-2', () => {
    const r = runScenario(loadScenario(file('a64-host-smp-relay.yaml')));
    expect(failureLines(r)).toEqual([]);
    const up = r.events.filter((e) => e.kind === 'psci' && e.text.includes('up through EL2')).map((e) => e.text.replace(/entry 0x[0-9a-f]+/, 'entry E'));
    expect(up).toEqual([1, 2, 3].map((c) => `CPU ${c} up through EL2: host entry E, x0 0x${c}, host stage-2 on`));
    expect(r.events.filter((e) => e.kind === 'psci' && e.text.endsWith('→ cpu_off'))).toHaveLength(3);
  });
});

describe('machine.guest_hvc_abi and run --guest-hvc-abi', () => {
  const abiVm = (abi: string | null) => scenarioFile(`${abi ? `machine:\n  guest_hvc_abi: ${abi}\n` : ''}vms:
  - name: p
    protected: true
    memory: 4M
    image: ${image('pguest-hello')}
    args: [1]
expect:
  console:
    p: "pguest: hello from a protected guest\\npguest: vm id 1\\n"
  exit: { p: off }
`);

  it('upstream by default: no MMIO guard (the UART access reaches the host with its syndrome)', () => {
    const r = runScenario(loadScenario(abiVm(null)));
    expect(r.scenario.machine.guestHvcAbi).toBe('upstream');
    expect(failureLines(r)).toEqual([]);
    expect(r.events.filter((e) => e.kind === 'guard')).toEqual([]);
  });

  it('android: the guest enrols and maps its UART in the MMIO guard at EL2', () => {
    const r = runScenario(loadScenario(abiVm('android')));
    expect(failureLines(r)).toEqual([]);
    expect(r.events.filter((e) => e.kind === 'guard').map((e) => e.text)).toEqual(['vm 0x1000 vcpu 0: MMIO guard map 0x9000000']);
  });

  it('a wrong value is one line naming the key', () => {
    expect(() => loadScenario(abiVm('bogus'))).toThrow(/machine\.guest_hvc_abi/);
  });

  it('`run --guest-hvc-abi android` overrides the scenario; a bad value is a usage error', () => {
    const ok = run('run', abiVm(null), '--guest-hvc-abi', 'android');
    expect(ok.status).toBe(0);
    expect(ok.out).toContain('MMIO guard map 0x9000000');
    expectOneLineError(run('run', abiVm(null), '--guest-hvc-abi', 'v7'), /--guest-hvc-abi/, 2);
  });

  it('machine.wfi_trap_policy is a kvm-only key', () => {
    expect(() => loadScenario(scenarioFile(`kind: a64-host\nhost:\n  image: ${image('host-hcalls')}\nmachine:\n  wfi_trap_policy: notrap\n`))).toThrow(/wfi_trap_policy/);
    expect(loadScenario(scenarioFile(oneVm('machine:\n  wfi_trap_policy: notrap\n'))).machine.wfiTrapPolicy).toBe('notrap');
  });
});
