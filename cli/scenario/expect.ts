/**
 * Checks an `expect:` section (at the end of the run) or a `check:` action (at that point):
 * console text, exit states, page counts, invariants, the host's free pages, hyp warnings.
 */
import type { Expectations } from './schema';
import type { RunState } from './run-state';
import { censusCount } from './census';
import { cmpHolds, cmpText } from './values';

const MAX_INVARIANT_LINES = 3;

export function consoleText(st: RunState, who: string): string {
  if (st.scenario.kind === 'a64-host') return st.world.machine!.uartText();
  return st.world.vms.get(who)?.consoleText() ?? '';
}

/** Where two texts first differ, as one line. */
function firstDifference(want: string, got: string): string {
  const w = want.split('\n'), g = got.split('\n');
  for (let i = 0; i < Math.max(w.length, g.length); i++) {
    if (w[i] !== g[i]) {
      const show = (s: string | undefined) => (s === undefined ? 'end of output' : JSON.stringify(s));
      return `line ${i + 1}: expected ${show(w[i])}, got ${show(g[i])}`;
    }
  }
  return 'texts differ';
}

export function checkExpectations(st: RunState, e: Expectations, final: boolean): void {
  for (const c of e.console) {
    const text = consoleText(st, c.who);
    if (c.exact !== undefined) st.check(text === c.exact, c.path, () => `console of ${c.who} differs at ${firstDifference(c.exact!, text)}`);
    for (const s of c.contains) st.check(text.includes(s), c.path, () => `console of ${c.who} does not contain ${JSON.stringify(s)} (got ${JSON.stringify(text.length > 120 ? `${text.slice(0, 120)}…` : text)})`);
  }

  for (const x of e.exit) {
    const got = st.exitState(x.who);
    const what = got ? `${got.state}${got.error ? ` (${got.error})` : ''}` : 'not created';
    st.check(got?.state === x.state, x.path, () => `${x.who}: expected exit state ${x.state}, got ${what}`);
    if (x.contains !== undefined) st.check(!!got?.error?.includes(x.contains), x.path, () => `${x.who}: expected an error containing ${JSON.stringify(x.contains)}, got ${what}`);
  }

  if (e.pages.length) {
    const c = st.census();
    for (const p of e.pages) {
      const n = censusCount(c, p.who, p.state);
      st.check(n !== undefined && cmpHolds(p.cmp, n), p.path, () =>
        n === undefined ? `${p.who} is not a live VM (no guest pages to count)` : `${p.who} ${p.state} pages: expected ${cmpText(p.cmp)}, got ${n}`);
    }
  }

  if (e.invariants) {
    const errs = st.world.el2.pkvm.checkInvariants({ strict: e.invariants === 'strict' });
    st.check(errs.length === 0, `${e.path}.invariants`, () =>
      `${errs.length} ${e.invariants === 'strict' ? 'strict ' : ''}invariant violation(s): ${errs.slice(0, MAX_INVARIANT_LINES).join('; ')}${errs.length > MAX_INVARIANT_LINES ? '; …' : ''}`);
  }

  if (e.hostFreePages) {
    const h = e.hostFreePages;
    const free = st.world.kvm!.alloc.freePages;
    if (h.baseline) st.check(free === st.baseline, h.path, () => `host free pages ${free}, baseline ${st.baseline}: ${st.baseline - free > 0 ? `${st.baseline - free} page(s) leaked` : `${free - st.baseline} more than the baseline`}`);
    else st.check(cmpHolds(h.cmp, free), h.path, () => `host free pages: expected ${cmpText(h.cmp)}, got ${free}`);
  }

  const warnings = st.hypWarnings();
  if (e.warnings) st.check(cmpHolds(e.warnings.cmp, warnings.length), e.warnings.path, () => `hyp WARN_ON count: expected ${cmpText(e.warnings!.cmp)}, got ${warnings.length}${warnings.length ? ` (${warnings.join('; ')})` : ''}`);
  if (final) finalDefaults(st, e, warnings);
}

/** Checks every scenario gets: no unexpected hyp WARN_ON, no unexpected guest or host error. */
function finalDefaults(st: RunState, e: Expectations, warnings: string[]): void {
  const s = st.scenario;
  const warnExpected = e.warnings !== null || s.actions.some((a) => a.kind === 'check' && a.expect.warnings !== null);
  if (!warnExpected) st.check(warnings.length === 0, `${e.path}.warnings`, () => `hyp WARN_ON (fatal at nVHE EL2): ${warnings.join('; ')}`);
  const exitGiven = new Set([...e.exit, ...s.actions.flatMap((a) => (a.kind === 'check' ? a.expect.exit : []))].map((x) => x.who));
  const runners = s.kind === 'kvm' ? s.vms.map((v) => v.name) : ['host'];
  for (const who of runners) {
    if (exitGiven.has(who)) continue;
    const got = st.exitState(who);
    if (got?.state === 'error') st.fail(`${e.path}.exit`, `${who} stopped with an error: ${got.error} (add expect.exit.${who}: error if intended)`);
  }
}
