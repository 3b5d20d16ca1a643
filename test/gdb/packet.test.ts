// The packet layer of the gdb stub (machine/gdb/packet.ts), against the remote protocol as the gdb
// manual defines it ("Overview", "Binary Data", "Run-length encoding").
import { describe, expect, it } from 'vitest';
import {
  PacketReader, checksum, decodePayload, escapeBinary, frame, fromHex, fromLeHex, leHex, parseHexNum, rleEncode,
} from '../../machine/gdb/packet';

const b = (s: string) => Buffer.from(s, 'latin1');
const str = (u: Uint8Array) => Buffer.from(u).toString('latin1');

describe('framing', () => {
  it('checksum is the byte sum mod 256, two lower-case hex digits', () => {
    // Examples from real sessions: "g" → 0x67, "qSupported" → 0x37, "?" → 0x3f.
    expect(str(frame('g'))).toBe('$g#67');
    expect(str(frame('?'))).toBe('$?#3f');
    expect(checksum(b('qSupported'))).toBe(0x37);
    expect(str(frame('OK'))).toBe('$OK#9a');
    expect(str(frame(''))).toBe('$#00');
  });
  it('binary escapes: # $ } * become } then the byte XOR 0x20, and decode back', () => {
    const raw = Uint8Array.of(0x23, 0x24, 0x7d, 0x2a, 0x00, 0xff);
    const esc = escapeBinary(raw);
    expect([...esc]).toEqual([0x7d, 0x03, 0x7d, 0x04, 0x7d, 0x5d, 0x7d, 0x0a, 0x00, 0xff]);
    expect([...decodePayload(esc)!]).toEqual([...raw]);
  });
  it('run-length encoding: "0* " is four zeros (count = byte - 29)', () => {
    expect(str(decodePayload(b('0* '))!)).toBe('0000');
    expect(str(decodePayload(b('ab*"'))!)).toBe('abbbbbb'); // '"' = 34: 5 more
  });
  it('rleEncode round-trips and never emits # or $ as a count', () => {
    for (const s of ['0'.repeat(7), '0'.repeat(8), 'f'.repeat(100), 'x'.repeat(200) + 'abc', 'a', '', '1122', '0'.repeat(17)]) {
      const e = rleEncode(s);
      expect(e).not.toMatch(/\*[#$+-]/);
      expect(str(decodePayload(b(e))!)).toBe(s);
    }
  });
  it('malformed payloads decode to null', () => {
    expect(decodePayload(b('abc}'))).toBeNull(); // trailing escape
    expect(decodePayload(b('*!'))).toBeNull(); // nothing to repeat
    expect(decodePayload(b('a*'))).toBeNull(); // no count
    expect(decodePayload(b('a*\x10'))).toBeNull(); // count below 0
  });
});

describe('PacketReader', () => {
  it('splits packets, acks and interrupts in any chunking', () => {
    const input = b('+$g#67-\x03$m40080000,4#59');
    for (const step of [1, 2, 5, input.length]) {
      const r = new PacketReader();
      const ev = [];
      for (let i = 0; i < input.length; i += step) ev.push(...r.feed(input.subarray(i, i + step)));
      expect(ev.map((e) => e.kind)).toEqual(['ack', 'packet', 'nak', 'interrupt', 'packet']);
      expect(str((ev[1] as { data: Uint8Array }).data)).toBe('g');
      expect(str((ev[4] as { data: Uint8Array }).data)).toBe('m40080000,4');
    }
  });
  it('reports a bad checksum with both sums and recovers', () => {
    const r = new PacketReader();
    const ev = r.feed(b('$g#00$g#67'));
    expect(ev[0]).toEqual({ kind: 'bad-checksum', expected: 0x67, got: 0 });
    expect(ev[1]!.kind).toBe('packet');
  });
  it('reports non-hex checksum digits, stray bytes and a $ inside a packet, then recovers', () => {
    const r = new PacketReader();
    const ev = r.feed(b('$g#zz' + 'Q' + '$abc$g#67'));
    // the first 'z' is a bad checksum digit; the second and the 'Q' are stray; then the '$' inside
    expect(ev.map((e) => e.kind)).toEqual(['malformed', 'malformed', 'malformed', 'malformed', 'packet']);
    expect(str((ev[4] as { data: Uint8Array }).data)).toBe('g');
  });
  it('knows when a packet is half received, and reset() drops it', () => {
    const r = new PacketReader();
    r.feed(b('$m4008'));
    expect(r.midPacket).toBe(true);
    r.reset();
    expect(r.midPacket).toBe(false);
    expect(r.feed(b('$?#3f'))[0]!.kind).toBe('packet');
  });
  it('accepts upper-case checksum digits', () => {
    expect(new PacketReader().feed(b('$OK#9A'))[0]!.kind).toBe('packet');
  });
});

describe('hex helpers', () => {
  it('register values are target (little-endian) order', () => {
    expect(leHex(0x40080000n, 8)).toBe('0000084000000000');
    expect(fromLeHex('0000084000000000')).toBe(0x40080000n);
    expect(leHex(0x3c5n, 4)).toBe('c5030000');
  });
  it('addresses are big-endian numbers; bad hex is rejected', () => {
    expect(parseHexNum('40080000')).toBe(0x40080000n);
    expect(parseHexNum('ffffffffffffffff')).toBe((1n << 64n) - 1n);
    expect(parseHexNum('1ffffffffffffffff')).toBeNull();
    expect(parseHexNum('4x')).toBeNull();
    expect(parseHexNum('')).toBeNull();
    expect(fromHex('abc')).toBeNull();
    expect([...fromHex('00ff10')!]).toEqual([0, 255, 16]);
  });
});
