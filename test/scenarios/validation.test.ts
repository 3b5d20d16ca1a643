// Bad scenario files: each is refused with one line naming the file, the path and the reason.
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { loadScenario } from '../../cli/scenario/load';
import { image, oneVm, refusal, scenarioFile } from './helpers';

describe('scenario validation', () => {
  it('accepts a minimal scenario and applies the defaults', () => {
    const s = loadScenario(scenarioFile(oneVm()));
    expect(s.kind).toBe('kvm');
    expect(s.vms[0]).toMatchObject({ name: 'p', protected: true, memBytes: 4 << 20, vcpus: 1, backing: 'anon', args: [1n] });
    expect(s.actions).toMatchObject([{ kind: 'run', insns: null }]);
    expect(s.machine.memBytes).toBe(256 << 20);
    expect(s.machine.faultFastPath).toBe(true);
  });
  it('machine.fault_fast_path: a boolean', () => {
    expect(loadScenario(scenarioFile(oneVm('machine: { fault_fast_path: false }\n'))).machine.faultFastPath).toBe(false);
    expect(refusal(oneVm('machine: { fault_fast_path: sometimes }\n'))).toBe('machine.fault_fast_path: expected true or false, got "sometimes"');
  });

  it('names the path of a bad size', () => {
    expect(refusal(`vms:
  - { name: a, protected: true, memory: 4M, image: ${image('hello')} }
  - { name: b, protected: true, memory: lots, image: ${image('hello')} }
`)).toBe('vms[1].memory: expected a size like 16M, got "lots"');
  });
  it('unknown keys, with a suggestion', () => {
    expect(refusal(oneVm('', '    protectd: true\n'))).toBe('vms[0].protectd: unknown key (did you mean "protected"?)');
    expect(refusal(oneVm('expct: {}\n'))).toBe('expct: unknown key (did you mean "expect"?)');
  });
  it('wrong types', () => {
    expect(refusal(oneVm('', '    vcpus: two\n'))).toBe('vms[0].vcpus: expected an integer, got "two"');
    expect(refusal(oneVm('actions: run\n'))).toBe('actions: expected a list, got "run"');
    expect(refusal(`vms:\n  - { name: a, protected: yes please, memory: 4M, image: ${image('hello')} }\n`)).toBe('vms[0].protected: expected true or false, got "yes please"');
  });
  it('missing and unreadable images', () => {
    expect(refusal(`vms:\n  - { name: a, protected: true, memory: 4M, image: guest-images/bin/nope.elf }\n`))
      .toMatch(/^vms\[0\]\.image: guest-images\/bin\/nope\.elf: no such file \(looked in .+\)$/);
    expect(refusal(`vms:\n  - { name: a, protected: true, memory: 4M, image: ${fileURLToPath(import.meta.url)} }\n`)).toMatch(/^vms\[0\]\.image: .*: not an ELF file$/);
    expect(refusal('vms:\n  - { name: a, protected: true, memory: 4M }\n')).toBe('vms[0].image: missing');
  });
  it('bad YAML and bad JSON', () => {
    expect(refusal('vms: [1,\n b: 2\n')).toMatch(/^bad YAML at line \d+, column \d+: Flow sequence/);
    expect(refusal('{ "vms": [ }', 'bad.json')).toMatch(/^bad JSON: /);
    expect(refusal('')).toBe('empty scenario file');
  });
  it('JSON scenarios are read as well', () => {
    const f = scenarioFile(JSON.stringify({ vms: [{ name: 'j', protected: false, memory: '4M', image: image('hello') }], expect: { exit: { j: 'off' } } }), 'ok.json');
    expect(loadScenario(f).vms[0].name).toBe('j');
  });
  it('actions: unknown verbs, hypercalls and names', () => {
    expect(refusal(oneVm('actions: [ runn ]\n'))).toBe('actions[0]: unknown action "runn" (did you mean "run"?)');
    expect(refusal(oneVm('actions:\n  - hcall: __pkvm_host_share_hypp\n'))).toBe('actions[0].hcall: unknown host hypercall "__pkvm_host_share_hypp" (did you mean "__pkvm_host_share_hyp"?)');
    expect(refusal(oneVm('actions:\n  - hcall: __pkvm_host_share_hyp\n    args: [pge.pfn]\n'))).toMatch(/^actions\[0\]\.args\[0\]: unknown name "pge"/);
    expect(refusal(oneVm('actions:\n  - alloc: pg\n  - hcall: __pkvm_host_share_hyp\n    args: [pg.gfn]\n'))).toBe('actions[1].args[0]: an address has pa and pfn, not "gfn"');
    expect(refusal(oneVm('actions:\n  - hcall: __pkvm_host_share_hyp\n    expect: -EWHAT\n'))).toBe('actions[0].expect: expected an errno like -EPERM (or 0), got "-EWHAT"');
    expect(refusal(oneVm('actions:\n  - destroy: q\n'))).toBe('actions[0].destroy: no VM named "q" (did you mean "p"?)');
    expect(refusal(oneVm('actions:\n  - run: soon\n'))).toBe('actions[0].run: expected stopped or an instruction count like 50M, got "soon"');
  });
  it('expectations: unknown VMs, owners and states', () => {
    expect(refusal(oneVm('expect:\n  console:\n    q: hi\n'))).toBe('expect.console.q: no VM or host named "q" (did you mean "p"?)');
    expect(refusal(oneVm('expect:\n  pages:\n    HOST: { OWND: 1 }\n'))).toBe('expect.pages.HOST.OWND: unknown page state (did you mean "OWNED"?)');
    expect(refusal(oneVm('expect:\n  pages:\n    HYP: { POISON: 0 }\n'))).toBe('expect.pages.HYP.POISON: POISON is a guest-only state');
    expect(refusal(oneVm('expect:\n  exit: { p: of }\n'))).toBe('expect.exit.p: expected one of off, reset, error, running, got "of"');
    expect(refusal(oneVm('expect:\n  invariants: always\n'))).toBe('expect.invariants: expected true, false or strict, got "always"');
  });
  it('a64-host scenarios have a host image and no VMs', () => {
    expect(refusal(`kind: a64-host\nhost: { image: ${image('host-hcalls')} }\nvms: []\n`)).toMatch(/^vms: an a64-host scenario has no VMs/);
    expect(refusal(`kind: a64-host\nhost: { image: ${image('host-hcalls')} }\nexpect: { host_free_pages: baseline }\n`)).toBe('expect.host_free_pages: only a kvm scenario has a host page allocator');
    expect(refusal(`kind: a64-host\nhost: { image: ${image('host-hcalls')} }\nactions: [ teardown ]\n`)).toMatch(/^actions\[0\]: unknown action "teardown"/);
    expect(refusal('kind: a64\n')).toBe('kind: expected one of kvm, a64-host, got "a64"');
  });
});
