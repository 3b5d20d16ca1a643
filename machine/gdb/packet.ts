// GDB remote serial protocol framing (gdb manual, "Overview" of the remote protocol):
//   $<payload>#<two hex digits: sum of the payload bytes mod 256>
// answered by + (received intact) or - (resend). In the payload, '}' escapes the next byte XOR 0x20
// ('#', '$', '}' and '*' are escaped that way in binary data); '*' after a byte is run-length
// encoding: the next byte minus 29 repeats the previous one that many more times. A bare 0x03
// outside a packet is an interrupt request (Ctrl-C).
//
// PacketReader is a byte-at-a-time state machine: it never throws on bad input, it reports it.

export type ReaderEvent =
  | { kind: 'packet'; data: Uint8Array } // checksum verified, escapes and RLE still in place
  | { kind: 'interrupt' }
  | { kind: 'ack' }
  | { kind: 'nak' }
  | { kind: 'bad-checksum'; expected: number; got: number }
  | { kind: 'malformed'; reason: string };

const MAX_PACKET = 1 << 20;

export function checksum(data: Uint8Array): number {
  let s = 0;
  for (const b of data) s = (s + b) & 0xff;
  return s;
}

const HEX = '0123456789abcdef';
export function hexByte(b: number): string { return HEX[(b >> 4) & 15]! + HEX[b & 15]!; }

/** Frames a payload (already escaped where binary) as $...#cs. */
export function frame(payload: string | Uint8Array): Uint8Array {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'latin1') : payload;
  const out = new Uint8Array(body.length + 4);
  out[0] = 0x24; // $
  out.set(body, 1);
  out[body.length + 1] = 0x23; // #
  const cs = hexByte(checksum(body));
  out[body.length + 2] = cs.charCodeAt(0);
  out[body.length + 3] = cs.charCodeAt(1);
  return out;
}

/** Escapes binary data for a payload: '#', '$', '}' and '*' become '}' and the byte XOR 0x20. */
export function escapeBinary(data: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (const b of data) {
    if (b === 0x23 || b === 0x24 || b === 0x7d || b === 0x2a) out.push(0x7d, b ^ 0x20);
    else out.push(b);
  }
  return Uint8Array.from(out);
}

/**
 * Undoes escapes and run-length encoding of a received payload. Returns null for a malformed one
 * (a trailing '}', a '*' with nothing to repeat or a count byte out of range).
 */
export function decodePayload(data: Uint8Array): Uint8Array | null {
  const out: number[] = [];
  for (let i = 0; i < data.length; i++) {
    const b = data[i]!;
    if (b === 0x7d) {
      if (i + 1 >= data.length) return null;
      out.push(data[++i]! ^ 0x20);
    } else if (b === 0x2a) {
      if (out.length === 0 || i + 1 >= data.length) return null;
      const n = data[++i]! - 29;
      if (n < 0 || n > 97) return null; // counts are printable: ' ' + 3 .. '~'
      const last = out[out.length - 1]!;
      for (let k = 0; k < n; k++) out.push(last);
    } else {
      out.push(b);
    }
  }
  return Uint8Array.from(out);
}

/** Run-length encodes a printable (hex) payload, as stubs may; '#', '$' never appear as counts. */
export function rleEncode(s: string): string {
  let out = '';
  for (let i = 0; i < s.length;) {
    const c = s[i]!;
    let j = i + 1;
    while (j < s.length && s[j] === c && j - i < 98) j++;
    let run = j - i;
    out += c;
    run--;
    // A count byte n + 29 must not be '#' (35), '$' (36), '+' or '-' (43, 45): n = 6, 7, 14, 16.
    while (run > 2) {
      let n = Math.min(run, 97);
      while (n === 6 || n === 7 || n === 14 || n === 16) n--;
      out += '*' + String.fromCharCode(n + 29);
      run -= n;
    }
    out += c.repeat(run);
    i = j;
  }
  return out;
}

export class PacketReader {
  private state: 'idle' | 'body' | 'cs1' | 'cs2' = 'idle';
  private body: number[] = [];
  private cs = 0;

  /** True while a packet has started but not ended (a disconnect now is "mid-packet"). */
  get midPacket(): boolean { return this.state !== 'idle'; }

  /** Drops a partial packet (the client went away). */
  reset(): void { this.state = 'idle'; this.body = []; }

  /** Feeds bytes; returns the events they complete, in order. */
  feed(bytes: Uint8Array): ReaderEvent[] {
    const ev: ReaderEvent[] = [];
    for (const b of bytes) this.byte(b, ev);
    return ev;
  }

  private byte(b: number, ev: ReaderEvent[]): void {
    switch (this.state) {
      case 'idle':
        if (b === 0x24) { this.state = 'body'; this.body = []; }
        else if (b === 0x03) ev.push({ kind: 'interrupt' });
        else if (b === 0x2b) ev.push({ kind: 'ack' });
        else if (b === 0x2d) ev.push({ kind: 'nak' });
        else if (b === 0x0a || b === 0x0d || b === 0x20) { /* whitespace between packets */ }
        else ev.push({ kind: 'malformed', reason: `stray byte 0x${hexByte(b)} outside a packet` });
        return;
      case 'body':
        if (b === 0x23) { this.state = 'cs1'; return; }
        if (b === 0x24) { // a new packet start inside a packet: drop the partial one
          ev.push({ kind: 'malformed', reason: "'$' inside a packet (previous packet dropped)" });
          this.body = [];
          return;
        }
        if (this.body.length >= MAX_PACKET) {
          ev.push({ kind: 'malformed', reason: `packet longer than ${MAX_PACKET} bytes` });
          this.state = 'idle';
          this.body = [];
          return;
        }
        this.body.push(b);
        return;
      case 'cs1': {
        const d = hexVal(b);
        if (d < 0) { this.bad(ev, b); return; }
        this.cs = d << 4;
        this.state = 'cs2';
        return;
      }
      case 'cs2': {
        const d = hexVal(b);
        if (d < 0) { this.bad(ev, b); return; }
        const got = this.cs | d;
        const data = Uint8Array.from(this.body);
        this.state = 'idle';
        this.body = [];
        const expected = checksum(data);
        if (expected !== got) ev.push({ kind: 'bad-checksum', expected, got });
        else ev.push({ kind: 'packet', data });
        return;
      }
    }
  }

  private bad(ev: ReaderEvent[], b: number): void {
    ev.push({ kind: 'malformed', reason: `checksum digit 0x${hexByte(b)} is not hex` });
    this.state = 'idle';
    this.body = [];
  }
}

function hexVal(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x61 && b <= 0x66) return b - 0x61 + 10;
  if (b >= 0x41 && b <= 0x46) return b - 0x41 + 10;
  return -1;
}

// --- Hex helpers for payloads ---
export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += hexByte(b);
  return s;
}

/** Parses an even-length hex string; null when it is not one. */
export function fromHex(s: string): Uint8Array | null {
  if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) return null;
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.substr(2 * i, 2), 16);
  return out;
}

/** Parses a big-endian hex number (gdb's addresses and lengths); null when it is not one. */
export function parseHexNum(s: string): bigint | null {
  if (!/^[0-9a-fA-F]{1,16}$/.test(s)) return null;
  return BigInt('0x' + s);
}

/** A register value as target-order (little-endian) hex of `bytes` bytes. */
export function leHex(v: bigint, bytes: number): string {
  let s = '';
  for (let i = 0; i < bytes; i++) s += hexByte(Number((v >> BigInt(8 * i)) & 0xffn));
  return s;
}

/** Parses target-order (little-endian) hex. */
export function fromLeHex(s: string): bigint | null {
  const b = fromHex(s);
  if (!b) return null;
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
  return v;
}
