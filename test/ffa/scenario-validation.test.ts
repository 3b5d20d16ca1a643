// The `ffa` scenario action and machine.ffa: refused with one line naming the path and the reason.
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../../cli/scenario/load';
import { oneVm, refusal, scenarioFile } from '../scenarios/helpers';

describe('scenario validation: machine.ffa and the ffa action', () => {
  it('machine.ffa defaults to none and takes upstream / lend-revokes-host', () => {
    expect(loadScenario(scenarioFile(oneVm())).machine.ffa).toBe('none');
    expect(loadScenario(scenarioFile(oneVm('machine: { ffa: upstream }\n'))).machine.ffa).toBe('upstream');
    expect(refusal(oneVm('machine: { ffa: yes }\n'))).toMatch(/^machine\.ffa: expected one of none, upstream, lend-revokes-host/);
  });
  it('the action needs machine.ffa, a known call, its fields and an FF-A result', () => {
    expect(refusal(oneVm('actions:\n  - ffa: version\n'))).toBe('actions[0].ffa: needs the FF-A endpoint: set machine.ffa to upstream or lend-revokes-host');
    const m = 'machine: { ffa: upstream }\n';
    expect(refusal(oneVm(`${m}actions:\n  - ffa: versoin\n`))).toMatch(/^actions\[0\]\.ffa\.call: expected one of version, /);
    expect(refusal(oneVm(`${m}actions:\n  - ffa: { call: share }\n`))).toBe('actions[0].ffa.pages: share needs pages: [{ pa: NAME, count: N }, …]');
    expect(refusal(oneVm(`${m}actions:\n  - ffa: { call: reclaim }\n`))).toBe('actions[0].ffa.handle: reclaim needs a handle (a name given with as:, or a number)');
    expect(refusal(oneVm(`${m}actions:\n  - ffa: { call: share, pages: [{ pa: nowhere }] }\n`))).toMatch(/^actions\[0\]\.ffa\.pages\[0\]\.pa: unknown name "nowhere"/);
    expect(refusal(oneVm(`${m}actions:\n  - ffa: version\n    expect: DENIDE\n`))).toMatch(/^actions\[0\]\.expect: expected an FF-A result .* \(did you mean "DENIED"\?\)$/);
    expect(refusal(oneVm(`${m}actions:\n  - ffa: { call: id_get, as: h }\n`))).toBe('actions[0].ffa.as: only share and lend answer a handle to name');
    const s = loadScenario(scenarioFile(oneVm(`${m}actions:\n  - alloc: pg\n  - ffa: { call: lend, pages: [{ pa: pg, count: 2 }], fragment: 1, as: h }\n  - ffa: { call: reclaim, handle: h }\n    expect: DENIED\n`)));
    expect(s.actions[1]).toMatchObject({ kind: 'ffa', call: 'lend', fragment: 1, as: 'h', expect: { result: 'SUCCESS' } });
    expect(s.actions[2]).toMatchObject({ kind: 'ffa', call: 'reclaim', expect: { result: 'DENIED' } });
  });
});
