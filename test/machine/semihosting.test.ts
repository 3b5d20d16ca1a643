import { describe, expect, it } from 'vitest';
import {
  SemihostingState,
  handleSemihosting,
  SYS_CLOSE,
  SYS_ELAPSED,
  SYS_ERRNO,
  SYS_EXIT,
  SYS_EXIT_EXTENDED,
  SYS_FLEN,
  SYS_GET_CMDLINE,
  SYS_ISERROR,
  SYS_OPEN,
  SYS_READ,
  SYS_SEEK,
  SYS_TICKFREQ,
  SYS_WRITE,
  SYS_WRITE0,
  SYS_WRITEC,
  SemihostingMemory,
} from '../../machine/semihosting';

const MINUS_ONE = 0xffff_ffff_ffff_ffffn;
const DEAD = 0xdeadbeefn;
const BASE = 0x4000_0000n;

/** A flat guest memory of 64 KiB at BASE; anything else faults. */
function memory() {
  const ram = new Uint8Array(0x10000);
  let top = 0x100;
  const inRam = (va: bigint, len: number) => va >= BASE && va + BigInt(len) <= BASE + BigInt(ram.length);
  const mem: SemihostingMemory = {
    read(va, len) {
      if (!inRam(va, len)) throw new Error('fault');
      return ram.slice(Number(va - BASE), Number(va - BASE) + len);
    },
    write(va, data) {
      if (!inRam(va, data.length)) return false;
      ram.set(data, Number(va - BASE));
    },
  };
  const put = (data: Uint8Array | string | bigint[]): bigint => {
    let bytes: Uint8Array;
    if (typeof data === 'string') bytes = new TextEncoder().encode(data);
    else if (data instanceof Uint8Array) bytes = data;
    else {
      bytes = new Uint8Array(data.length * 8);
      data.forEach((v, i) => new DataView(bytes.buffer).setBigUint64(i * 8, BigInt.asUintN(64, v), true));
    }
    top = (top + 7) & ~7;
    const va = BASE + BigInt(top);
    ram.set(bytes, top);
    top += bytes.length;
    return va;
  };
  const u64 = (va: bigint) => new DataView(ram.buffer).getBigUint64(Number(va - BASE), true);
  return { mem, put, ram, u64 };
}

const text = (b?: Uint8Array) => new TextDecoder().decode(b);
const BAD = 0x7ff_0000_0000n;

describe('semihosting exits', () => {
  it('SYS_EXIT with ADP_Stopped_ApplicationExit exits with the subcode', () => {
    const { mem, put } = memory();
    expect(handleSemihosting(SYS_EXIT, put([0x20026n, 0n]), mem).exitCode).toBe(0);
    expect(handleSemihosting(SYS_EXIT, put([0x20026n, 3n]), mem).exitCode).toBe(3);
    expect(handleSemihosting(SYS_EXIT_EXTENDED, put([0x20026n, 260n]), mem).exitCode).toBe(4); // status & 0xff
  });

  it('other reasons exit with 1', () => {
    const { mem, put } = memory();
    expect(handleSemihosting(SYS_EXIT, put([0x20023n, 0n]), mem).exitCode).toBe(1); // RunTimeErrorUnknown
    expect(handleSemihosting(SYS_EXIT, put([0x20024n, 7n]), mem).exitCode).toBe(1);
  });

  it('an unreadable block returns -1 with EFAULT and does not exit', () => {
    const { mem } = memory();
    const st = new SemihostingState();
    const r = handleSemihosting(SYS_EXIT, BAD, mem, st);
    expect(r).toEqual({ ret: MINUS_ONE });
    expect(handleSemihosting(SYS_ERRNO, 0n, mem, st).ret).toBe(14n);
  });
});

describe('semihosting console output', () => {
  it('SYS_WRITEC writes the byte at x1 and returns 0xdeadbeef', () => {
    const { mem, put } = memory();
    expect(handleSemihosting(SYS_WRITEC, put('A'), mem)).toEqual({ ret: DEAD, output: new Uint8Array([0x41]), stream: 'stderr' });
    expect(handleSemihosting(SYS_WRITEC, BAD, mem)).toEqual({ ret: DEAD });
  });

  it('SYS_WRITE0 writes up to the NUL, across page boundaries', () => {
    const { mem, put, ram } = memory();
    expect(text(handleSemihosting(SYS_WRITE0, put('hello\n\0junk'), mem).output)).toBe('hello\n');
    ram.set(new TextEncoder().encode('cross\0'), 0x0ffd);
    expect(text(handleSemihosting(SYS_WRITE0, BASE + 0xffdn, mem).output)).toBe('cross');
    expect(handleSemihosting(SYS_WRITE0, BAD, mem)).toEqual({ ret: DEAD });
  });

  it('SYS_WRITE0 of a string running off the end of memory writes nothing', () => {
    const { mem, ram } = memory();
    ram.fill(0x41, 0xff00);
    expect(handleSemihosting(SYS_WRITE0, BASE + 0xff00n, mem)).toEqual({ ret: DEAD });
  });

  it('never throws on any pointer', () => {
    const { mem } = memory();
    for (const op of [1, 2, 3, 4, 5, 6, 8, 9, 0xa, 0xc, 0x15, 0x16, 0x18, 0x20, 0x30]) {
      for (const p of [0n, BAD, (1n << 64n) - 1n, (1n << 64n) - 4n]) {
        expect(() => handleSemihosting(op, p, mem)).not.toThrow();
      }
    }
  });
});

describe('semihosting handles (QEMU: none open at start)', () => {
  it('SYS_WRITE to an unopened handle writes nothing and returns the length', () => {
    const { mem, put } = memory();
    const msg = put('WRITE!\n');
    expect(handleSemihosting(SYS_WRITE, put([1n, msg, 7n]), mem)).toEqual({ ret: 7n });
  });

  it('opens :tt for stdout/stderr/stdin and writes through the handles', () => {
    const { mem, put } = memory();
    const st = new SemihostingState();
    const tt = put(':tt\0');
    expect(handleSemihosting(SYS_OPEN, put([tt, 4n, 3n]), mem, st).ret).toBe(1n);
    expect(handleSemihosting(SYS_OPEN, put([tt, 8n, 3n]), mem, st).ret).toBe(2n);
    expect(handleSemihosting(SYS_OPEN, put([tt, 0n, 3n]), mem, st).ret).toBe(3n);
    const msg = put('WRITE!\n');
    const out = handleSemihosting(SYS_WRITE, put([1n, msg, 7n]), mem, st);
    expect(out.ret).toBe(0n);
    expect(out.stream).toBe('stdout');
    expect(text(out.output)).toBe('WRITE!\n');
    expect(handleSemihosting(SYS_WRITE, put([2n, msg, 7n]), mem, st).stream).toBe('stderr');
    expect(handleSemihosting(SYS_WRITE, put([9n, msg, 7n]), mem, st)).toEqual({ ret: 7n });
    expect(handleSemihosting(SYS_WRITE, put([1n, BAD, 7n]), mem, st)).toEqual({ ret: 7n });
    expect(handleSemihosting(SYS_WRITE, put([1n, msg, 0n]), mem, st)).toEqual({ ret: 0n });
    expect(handleSemihosting(SYS_WRITE, BAD, mem, st)).toEqual({ ret: MINUS_ONE });
    expect(handleSemihosting(SYS_ERRNO, 0n, mem, st).ret).toBe(14n);

    expect(handleSemihosting(SYS_CLOSE, put([1n]), mem, st).ret).toBe(0n);
    expect(handleSemihosting(SYS_CLOSE, put([1n]), mem, st).ret).toBe(MINUS_ONE);
    expect(handleSemihosting(SYS_ERRNO, 0n, mem, st).ret).toBe(9n);
    expect(handleSemihosting(SYS_OPEN, put([tt, 4n, 3n]), mem, st).ret).toBe(1n); // lowest free slot
  });

  it('fails other opens like QEMU', () => {
    const { mem, put } = memory();
    const st = new SemihostingState();
    expect(handleSemihosting(SYS_OPEN, put([put('/etc/passwd\0'), 0n, 11n]), mem, st).ret).toBe(MINUS_ONE);
    expect(handleSemihosting(SYS_ERRNO, 0n, mem, st).ret).toBe(2n);
    expect(handleSemihosting(SYS_OPEN, put([put(':tt\0'), 12n, 3n]), mem, st).ret).toBe(MINUS_ONE);
    expect(handleSemihosting(SYS_ERRNO, 0n, mem, st).ret).toBe(22n);
  });

  it('reads :semihosting-features', () => {
    const { mem, put, ram } = memory();
    const st = new SemihostingState();
    const fd = handleSemihosting(SYS_OPEN, put([put(':semihosting-features\0'), 0n, 21n]), mem, st).ret;
    expect(fd).toBe(1n);
    expect(handleSemihosting(SYS_FLEN, put([fd]), mem, st).ret).toBe(5n);
    const buf = put(new Uint8Array(8));
    expect(handleSemihosting(SYS_READ, put([fd, buf, 8n]), mem, st).ret).toBe(3n); // 8 asked, 5 read
    expect(Array.from(ram.subarray(Number(buf - BASE), Number(buf - BASE) + 5))).toEqual([0x53, 0x48, 0x46, 0x42, 3]);
    expect(handleSemihosting(SYS_READ, put([fd, buf, 8n]), mem, st).ret).toBe(8n); // EOF
    expect(handleSemihosting(SYS_SEEK, put([fd, 4n]), mem, st).ret).toBe(0n);
    expect(handleSemihosting(SYS_READ, put([fd, buf, 1n]), mem, st).ret).toBe(0n);
  });
});

describe('semihosting misc', () => {
  it('ISERROR, TICKFREQ, ELAPSED, GET_CMDLINE, unsupported ops', () => {
    const { mem, put, u64, ram } = memory();
    const st = new SemihostingState({ elapsed: () => 1234n, cmdline: 'prog arg' });
    expect(handleSemihosting(SYS_ISERROR, put([-5n]), mem, st).ret).toBe(1n);
    expect(handleSemihosting(SYS_ISERROR, put([5n]), mem, st).ret).toBe(0n);
    expect(handleSemihosting(SYS_TICKFREQ, 0n, mem, st).ret).toBe(1_000_000_000n);
    const blk = put([0n, 0n]);
    expect(handleSemihosting(SYS_ELAPSED, blk, mem, st).ret).toBe(0n);
    expect(u64(blk)).toBe(1234n);
    const buf = put(new Uint8Array(32));
    const cmd = put([buf, 32n]);
    expect(handleSemihosting(SYS_GET_CMDLINE, cmd, mem, st).ret).toBe(0n);
    expect(u64(cmd + 8n)).toBe(8n);
    expect(text(ram.subarray(Number(buf - BASE), Number(buf - BASE) + 8))).toBe('prog arg');
    expect(handleSemihosting(SYS_GET_CMDLINE, put([buf, 4n]), mem, st).ret).toBe(MINUS_ONE);
    expect(handleSemihosting(SYS_ERRNO, 0n, mem, st).ret).toBe(7n);
    const u = handleSemihosting(0x99, 0n, mem, st);
    expect(u.ret).toBe(MINUS_ONE);
    expect(u.unsupported).toBe('Unsupported SemiHosting SWI 0x99');
  });

  it('reading-only memory makes writing calls fail with EFAULT', () => {
    const { mem, put } = memory();
    const ro: SemihostingMemory = { read: mem.read };
    const st = new SemihostingState();
    expect(handleSemihosting(SYS_ELAPSED, put([0n]), ro, st).ret).toBe(MINUS_ONE);
    expect(handleSemihosting(SYS_ERRNO, 0n, ro, st).ret).toBe(14n);
  });
});
