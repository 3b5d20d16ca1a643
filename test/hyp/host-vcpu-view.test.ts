/**
 * HostVcpuView's word accesses (hyp/host-abi.ts: lo32n, setU32n, setU64w, readWords, writeWords),
 * which flush_hyp_vcpu / sync_hyp_vcpu use on the host's struct kvm_vcpu: bound directly to RAM
 * (bindDirect, the hyp's path when the struct's page is plain RAM) they must read and write exactly
 * the bytes the PhysMem accessors do. The expected values are the u64 fields as little-endian
 * bytes, the layout of struct kvm_vcpu in host memory.
 */
import { describe, expect, it } from 'vitest';
import { ArrayPhysMem } from '../../hyp/phys-mem';
import { HostVcpuView } from '../../hyp/host-abi';

const RAM = 0x4000_0000n;
const VCPU = RAM + 0x2000n;

/** The same struct through PhysMem (el2mem's path) and bound directly to the same bytes. */
function views(): { mem: ArrayPhysMem; viaMem: HostVcpuView; direct: HostVcpuView } {
  const mem = new ArrayPhysMem(RAM, 1n << 16n);
  const viaMem = new HostVcpuView(mem, VCPU);
  const direct = new HostVcpuView(mem, VCPU);
  const b = mem.backing;
  direct.bindDirect(new DataView(b.buffer, b.byteOffset, b.byteLength), Number(VCPU - RAM), new Uint32Array(b.buffer));
  return { mem, viaMem, direct };
}
const bytesOf = (v: bigint): number[] => Array.from({ length: 8 }, (_, i) => Number((v >> BigInt(8 * i)) & 0xffn));

describe('HostVcpuView word accesses', () => {
  for (const kind of ['viaMem', 'direct'] as const) {
    it(`${kind}: setU64w / setU32n store little-endian u64 fields; lo32n reads the low word`, () => {
      const v = views();
      const hv = v[kind];
      hv.setU64w(0x40, 0x89ab_cdef, 0x0123_4567);
      expect([...v.mem.readBytes(VCPU + 0x40n, 8)]).toEqual(bytesOf(0x0123_4567_89ab_cdefn));
      expect(hv.u64n(0x40)).toBe(0x0123_4567_89ab_cdefn);
      expect(hv.lo32n(0x40)).toBe(0x89ab_cdef);
      hv.setU32n(0x40, 0xffff_0001);
      expect(hv.u64n(0x40)).toBe(0xffff_0001n); // (the high word cleared: a u64 field set to a u32 value)
    });

    it(`${kind}: readWords / writeWords move u64 fields as (low, high) word pairs`, () => {
      const v = views();
      const hv = v[kind];
      for (let i = 0; i < 4; i++) hv.setU64n(0x60 + 8 * i, 0x8000_0000_0000_0000n | (BigInt(i + 1) << 32n) | BigInt(0x10 + i));
      const w = new Uint32Array(10).fill(0xdead);
      hv.readWords(0x68, w, 1, 6); // fields 1..3
      expect([...w]).toEqual([0xdead, 0x11, 0x8000_0002, 0x12, 0x8000_0003, 0x13, 0x8000_0004, 0xdead, 0xdead, 0xdead]);
      hv.writeWords(0x100, w, 1, 4);
      expect(hv.u64n(0x100)).toBe(0x8000_0002_0000_0011n);
      expect(hv.u64n(0x108)).toBe(0x8000_0003_0000_0012n);
      expect(hv.u64n(0x110)).toBe(0n); // nothing beyond the n words
    });
  }

  it('a direct view and the PhysMem view of the same bytes agree after the same writes', () => {
    const a = views(), b = views();
    const src = Uint32Array.from({ length: 62 }, (_, i) => (i * 0x9e37_79b9) >>> 0);
    a.direct.writeWords(0x60, src, 0, 62);
    b.viaMem.writeWords(0x60, src, 0, 62);
    expect([...a.mem.readBytes(VCPU, 0x348)]).toEqual([...b.mem.readBytes(VCPU, 0x348)]);
  });
});
