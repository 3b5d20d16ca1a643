/**
 * Property: random sequences of host hypercalls (and guest share/unshare
 * requests) over several VMs keep every safety invariant. A hyp_panic is an
 * acceptable end of a run only where upstream reaches WARN_ON() on host
 * misbehaviour (e.g. an exhausted memcache or tearing down a VM in use).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { cmdArb, runCmds } from './host-cmds';

describe('random host hypercall sequences keep the invariants', () => {
  it('1000 runs', () => {
    fc.assert(fc.property(fc.array(cmdArb, { minLength: 5, maxLength: 40 }), (cmds) => runCmds(cmds)), {
      numRuns: 1000, seed: 0x9c4d, endOnFailure: true,
    });
    expect(true).toBe(true);
  }, 600_000);
});
