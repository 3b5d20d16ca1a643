/**
 * The `expect:` section (and `check:` actions): console text, exit states, page counts by owner and
 * state, invariants, the host's free pages against the baseline, hyp warnings.
 */
import { EXIT_STATES, OWNERS, STATES, type Expectations, type ExitState, type PageStateName } from './schema';
import { Reader, join, show, suggest } from './reader';
import { countCmp } from './values';

export const EXPECT_KEYS = ['console', 'exit', 'pages', 'invariants', 'host_free_pages', 'warnings'] as const;

export interface ExpectContext {
  /** Who has a console and an exit state: the VM names, or ['host']. */
  runners: string[];
  /** Whether the scenario has a host page allocator (kvm kind). */
  hasAllocator: boolean;
}

export function emptyExpectations(path: string): Expectations {
  return { path, console: [], exit: [], pages: [], invariants: null, hostFreePages: null, warnings: null };
}

function who(r: Reader, path: string, name: string, known: readonly string[]): string {
  if (!known.includes(name)) r.fail(path, `no VM or host named "${name}"${suggest(name, known)}`);
  return name;
}

export function validateExpect(r: Reader, path: string, v: unknown, ctx: ExpectContext): Expectations {
  const o = r.obj(path, v, EXPECT_KEYS);
  const e = emptyExpectations(path);

  if (o.console !== undefined) {
    const p = join(path, 'console');
    for (const [name, want] of Object.entries(r.map(p, o.console))) {
      const q = join(p, name);
      who(r, q, name, ctx.runners);
      if (typeof want === 'string') { e.console.push({ path: q, who: name, exact: want, contains: [] }); continue; }
      const w = r.obj(q, want, ['exact', 'contains']);
      const exact = w.exact === undefined ? undefined : r.str(join(q, 'exact'), w.exact);
      const c = w.contains === undefined ? [] : Array.isArray(w.contains)
        ? w.contains.map((s, i) => r.str(join(join(q, 'contains'), i), s)) : [r.str(join(q, 'contains'), w.contains)];
      if (exact === undefined && c.length === 0) r.fail(q, 'expected exact or contains');
      e.console.push({ path: q, who: name, exact, contains: c });
    }
  }

  if (o.exit !== undefined) {
    const p = join(path, 'exit');
    for (const [name, want] of Object.entries(r.map(p, o.exit))) {
      const q = join(p, name);
      who(r, q, name, ctx.runners);
      if (typeof want === 'string') { e.exit.push({ path: q, who: name, state: r.oneOf(q, want, EXIT_STATES) }); continue; }
      const w = r.obj(q, want, ['state', 'contains']);
      const state: ExitState = r.oneOf(join(q, 'state'), w.state, EXIT_STATES);
      const contains = w.contains === undefined ? undefined : r.str(join(q, 'contains'), w.contains);
      e.exit.push({ path: q, who: name, state, contains });
    }
  }

  if (o.pages !== undefined) {
    const p = join(path, 'pages');
    const owners = [...OWNERS, ...(ctx.hasAllocator ? ctx.runners : [])];
    for (const [name, states] of Object.entries(r.map(p, o.pages))) {
      const q = join(p, name);
      if (!owners.includes(name)) r.fail(q, `expected HOST, HYP, GUEST or a VM name${suggest(name, owners)}`);
      for (const [st, c] of Object.entries(r.map(q, states))) {
        const s = join(q, st);
        if (!(STATES as readonly string[]).includes(st)) r.fail(s, `unknown page state${suggest(st, STATES)}`);
        if (st === 'POISON' && (name === 'HOST' || name === 'HYP')) r.fail(s, 'POISON is a guest-only state');
        e.pages.push({ path: s, who: name, state: st as PageStateName, cmp: countCmp(r, s, c) });
      }
    }
  }

  if (o.invariants !== undefined) {
    const q = join(path, 'invariants');
    if (o.invariants === 'strict') e.invariants = 'strict';
    else if (o.invariants === true) e.invariants = 'normal';
    else if (o.invariants !== false) r.fail(q, `expected true, false or strict, got ${show(o.invariants)}`);
  }

  if (o.host_free_pages !== undefined) {
    const q = join(path, 'host_free_pages');
    if (!ctx.hasAllocator) r.fail(q, 'only a kvm scenario has a host page allocator');
    e.hostFreePages = o.host_free_pages === 'baseline' ? { path: q, baseline: true } : { path: q, baseline: false, cmp: countCmp(r, q, o.host_free_pages) };
  }

  if (o.warnings !== undefined) {
    const q = join(path, 'warnings');
    e.warnings = { path: q, cmp: countCmp(r, q, o.warnings) };
  }
  return e;
}
