/**
 * A hostile host: every FF-A function id with arbitrary register values, and arbitrary bytes in its
 * TX buffer, never makes EL2 or the SPMC throw, and never breaks the ownership invariants (checked every 25 calls: the
 * strict checker dominates the cost): each call ends in an FF-A answer.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ready } from './harness';
import { hypWarnConfig } from '../../hyp/page-state';

const reg = fc.oneof(
  fc.constantFrom(0n, 1n, 16n, 48n, 64n, 80n, 0x1000n, 0x1001n, 0xffff_ffffn, (1n << 64n) - 1n, 0x4000_0000n, 0x8001n),
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
);

describe('hostile host FF-A calls', () => {
  it('random function ids, registers and TX contents: an answer every time, invariants kept, no WARN', () => {
    const b = ready();
    const page = b.kvm.alloc.allocContig(4)!;
    const warns0 = hypWarnConfig.warnings.length;
    let n = 0;
    fc.assert(fc.property(
      fc.integer({ min: 0x60, max: 0xff }), fc.boolean(), fc.array(reg, { minLength: 7, maxLength: 7 }),
      fc.uint8Array({ minLength: 0, maxLength: 256 }), fc.boolean(),
      (num, is64, args, tx, pointAtPage) => {
        const fn = (is64 ? 0xc400_0000n : 0x8400_0000n) | BigInt(num);
        if (tx.length) b.kvm.mem.writeBytes(b.host.tx!, tx);
        if (pointAtPage) { args[0] = page; args[1] = page + 0x1000n; }
        const r = b.host.smc(fn, ...args);
        expect(r.regs.length).toBe(8);
        if (++n % 25 === 0) expect(b.el2.pkvm.checkInvariants({ strict: true })).toEqual([]);
      }), { numRuns: 2000, seed: 15 });
    expect(b.el2.pkvm.checkInvariants({ strict: true })).toEqual([]);
    expect(hypWarnConfig.warnings.slice(warns0)).toEqual([]);
  });
});
