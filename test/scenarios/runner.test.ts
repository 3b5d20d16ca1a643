// The runner reports failed expectations by path (never throws) and its page census adds up.
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../../cli/scenario/load';
import { runScenario } from '../../cli/scenario/runner';
import { createWorld } from '../../cli/scenario/world';
import { pageCensus } from '../../cli/scenario/census';
import { STATES } from '../../cli/scenario/schema';
import { image, oneVm, scenarioFile } from './helpers';

const run = (text: string) => runScenario(loadScenario(scenarioFile(text)));

describe('scenario runner', () => {
  it('lists each failed expectation with its path', () => {
    const r = run(oneVm(`actions:
  - alloc: pg
  - hcall: __pkvm_host_share_hyp
    args: [pg.pfn]
    expect: -ENOENT
  - run
expect:
  console:
    p: "pguest: hello from a protected guest\\npguest: vm id 2\\n"
  exit: { p: reset }
  host_free_pages: baseline
`));
    expect(r.passed).toBe(false);
    expect(r.aborted).toBeNull();
    const f = r.failures.map((x) => `${x.path}: ${x.message}`);
    expect(f.find((l) => l.startsWith('actions[1]'))).toMatch(/^actions\[1\]\.expect: __pkvm_host_share_hyp\(0x[0-9a-f]+\): expected x1=-ENOENT, got x0=SUCCESS x1=0$/);
    expect(f).toContain('expect.console.p: console of p differs at line 2: expected "pguest: vm id 2", got "pguest: vm id 1"');
    expect(f).toContain('expect.exit.p: p: expected exit state reset, got off');
    expect(f.find((l) => l.startsWith('expect.host_free_pages'))).toMatch(/\d+ page\(s\) leaked/);
  });

  it('an instruction limit on "run" until stopped is a failure', () => {
    const r = run(`machine: { max_insns: 1000 }
vms:
  - { name: t, protected: true, memory: 16M, image: ${image('toucher')}, args: [2000] }
`);
    expect(r.failures.map((x) => `${x.path}: ${x.message}`)).toEqual([
      'run (the default action): instruction limit (1000 guest instructions, machine.max_insns) reached with t still running',
    ]);
  });

  it('a name that is gone fails that action; the run goes on', () => {
    const r = run(oneVm('actions:\n  - teardown\n  - hcall: __pkvm_host_share_hyp\n    args: [p.handle]\n  - baseline\n'));
    expect(r.aborted).toBeNull();
    expect(r.failures.map((x) => `${x.path}: ${x.message}`)).toEqual(['actions[1]: VM "p" is destroyed']);
  });

  it('a host operation that fails ends the run as a failure, not an exception', () => {
    const r = run(`machine: { memory: 16M }
vms:
  - { name: big, protected: true, memory: 32M, image: ${image('toucher')}, args: [6000] }
`);
    expect(r.passed).toBe(false);
    expect(r.aborted).toMatch(/^run \(the default action\): .*host out of memory/);
    expect(r.failures.at(-1)!.message).toMatch(/^run aborted: .*host out of memory/);
  });

  it('pageCensus: every page counted once per component; the carve-out is the hyp\'s', () => {
    const s = loadScenario(scenarioFile(oneVm()));
    const w = createWorld(s);
    const c = pageCensus(w.el2.pkvm);
    const pages = w.core.ramSize / 4096;
    const sum = (o: Record<string, number>) => STATES.reduce((t, k) => t + o[k], 0);
    expect(sum(c.HOST)).toBe(pages);
    expect(sum(c.HYP)).toBe(pages);
    expect(c.HYP.OWNED).toBe(Number(w.el2.carveout.size / 4096n));
    expect(c.HOST.NOPAGE).toBe(c.HYP.OWNED);
    expect(sum(c.GUEST)).toBe(0);
  });
});
