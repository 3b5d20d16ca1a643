// A tiny word-level assembler: a growing array of 32-bit words at a fixed load address, named
// labels, and PC-relative fixups patched in finish(). Only what the test generators need.

export type FixupKind = 'imm26' | 'imm19' | 'imm14' | 'adr';

interface Fixup {
  index: number;
  label: string;
  kind: FixupKind;
}

export class Asm {
  readonly words: number[] = [];
  private readonly labels = new Map<string, number>();
  private readonly fixups: Fixup[] = [];

  constructor(readonly base: number) {
    if (base % 4096 !== 0) throw new Error('Asm: base must be page aligned');
  }

  /** Address of the next word. */
  pc(): number {
    return this.base + this.words.length * 4;
  }

  emit(...ws: number[]): this {
    for (const w of ws) this.words.push(w >>> 0);
    return this;
  }

  label(name: string): this {
    if (this.labels.has(name)) throw new Error(`Asm: label ${name} defined twice`);
    this.labels.set(name, this.pc());
    return this;
  }

  /** Define `name` at an explicit address (e.g. an alias of another label). */
  defineAt(name: string, addr: number): this {
    if (this.labels.has(name)) throw new Error(`Asm: label ${name} defined twice`);
    this.labels.set(name, addr);
    return this;
  }

  has(name: string): boolean {
    return this.labels.has(name);
  }

  addr(name: string): number {
    const a = this.labels.get(name);
    if (a === undefined) throw new Error(`Asm: undefined label ${name}`);
    return a;
  }

  /** Pad with `fill` words up to a multiple of `bytes`. */
  align(bytes: number, fill = 0): this {
    while ((this.pc() - this.base) % bytes !== 0) this.words.push(fill >>> 0);
    return this;
  }

  /** Pad with `fill` words up to absolute address `addr`. */
  org(addr: number, fill = 0): this {
    if (addr < this.pc()) throw new Error(`Asm: org 0x${addr.toString(16)} is behind pc 0x${this.pc().toString(16)}`);
    while (this.pc() < addr) this.words.push(fill >>> 0);
    return this;
  }

  /** Raw data; length must be a multiple of 4. */
  data(bytes: Uint8Array): this {
    if (bytes.length % 4 !== 0) throw new Error('Asm: data length must be a multiple of 4');
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < bytes.length; i += 4) this.words.push(dv.getUint32(i, true));
    return this;
  }

  /** Emit `word` whose PC-relative field (of `kind`) will point at `label`. */
  ref(kind: FixupKind, label: string, word: number): this {
    this.fixups.push({ index: this.words.length, label, kind });
    this.words.push(word >>> 0);
    return this;
  }

  /** Resolve fixups; returns the words (also left in this.words). */
  resolve(): number[] {
    for (const f of this.fixups) {
      const pc = this.base + f.index * 4;
      const off = this.addr(f.label) - pc;
      let w = this.words[f.index];
      const words = off / 4;
      const check = (bits: number, v: number) => {
        if (!Number.isInteger(v) || v < -(2 ** (bits - 1)) || v >= 2 ** (bits - 1)) {
          throw new Error(`Asm: ${f.kind} fixup to ${f.label} out of range (${off} bytes)`);
        }
        return v & (2 ** bits - 1);
      };
      switch (f.kind) {
        case 'imm26':
          w = (w & ~0x03ffffff) | check(26, words);
          break;
        case 'imm19':
          w = (w & ~(0x7ffff << 5)) | (check(19, words) << 5);
          break;
        case 'imm14':
          w = (w & ~(0x3fff << 5)) | (check(14, words) << 5);
          break;
        case 'adr': {
          const v = check(21, off);
          w = (w & ~((3 << 29) | (0x7ffff << 5))) | ((v & 3) << 29) | ((v >> 2) << 5);
          break;
        }
      }
      this.words[f.index] = w >>> 0;
    }
    this.fixups.length = 0;
    return this.words;
  }

  /** Little-endian bytes of the whole image (fixups resolved). */
  finish(): Uint8Array {
    this.resolve();
    const out = new Uint8Array(this.words.length * 4);
    const dv = new DataView(out.buffer);
    this.words.forEach((w, i) => dv.setUint32(i * 4, w, true));
    return out;
  }
}
