// The compiled tier's WebAssembly encoder (machine/jit/wasm-encoder.ts): LEB128 against the
// WebAssembly spec's examples, whole modules validated and disassembled by binaryen, and blocks
// translated from decoded ops (machine/jit/translate.ts) validated the same way.
import { describe, expect, it } from 'vitest';
import binaryen from 'binaryen';
import { Body, encodeModule, I32, I64, Op, sleb32, sleb64, uleb } from '../../machine/jit/wasm-encoder';
import { IMPORTS, LOCALS, TYPES, translateBlock, type DecodedOp } from '../../machine/jit/translate';
import { L, O, OF, OS } from '../../machine/core-constants';
import { importedTableMin } from '../../machine/jit/table-min';

const bytes = (f: (o: number[]) => void): number[] => { const o: number[] = []; f(o); return o; };

describe('LEB128 (WebAssembly core spec 5.2.2)', () => {
  it('unsigned', () => {
    expect(bytes((o) => uleb(o, 0))).toEqual([0]);
    expect(bytes((o) => uleb(o, 127))).toEqual([0x7f]);
    expect(bytes((o) => uleb(o, 128))).toEqual([0x80, 0x01]);
    expect(bytes((o) => uleb(o, 624485))).toEqual([0xe5, 0x8e, 0x26]);
    expect(bytes((o) => uleb(o, 0xffff_ffff))).toEqual([0xff, 0xff, 0xff, 0xff, 0x0f]);
  });
  it('signed 32-bit', () => {
    expect(bytes((o) => sleb32(o, -1))).toEqual([0x7f]);
    expect(bytes((o) => sleb32(o, 63))).toEqual([0x3f]);
    expect(bytes((o) => sleb32(o, 64))).toEqual([0xc0, 0x00]);
    expect(bytes((o) => sleb32(o, -64))).toEqual([0x40]);
    expect(bytes((o) => sleb32(o, -123456))).toEqual([0xc0, 0xbb, 0x78]);
    expect(bytes((o) => sleb32(o, -0x8000_0000))).toEqual([0x80, 0x80, 0x80, 0x80, 0x78]);
  });
  it('signed 64-bit', () => {
    expect(bytes((o) => sleb64(o, -1n))).toEqual([0x7f]);
    expect(bytes((o) => sleb64(o, 0xffff_ffff_ffff_ffffn))).toEqual([0x7f]); // as i64: -1
    expect(bytes((o) => sleb64(o, 1n << 63n))).toEqual([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f]);
    expect(bytes((o) => sleb64(o, 0x7fff_ffff_ffff_ffffn))).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00]);
  });
});

function validate(wasm: Uint8Array): string {
  const m = binaryen.readBinary(wasm);
  m.setFeatures(binaryen.Features.All);
  const ok = m.validate();
  const text = m.emitText();
  m.dispose();
  expect(ok).toBeTruthy();
  return text;
}

describe('modules', () => {
  it('a function with imports, locals, a loop and i64 constants validates and runs', () => {
    const b = new Body();
    // sum = 0; do { sum += n; n-- } while (n != 0); return via global
    b.begin(Op.loop).get(1).get(0).op(Op.i64_add).set(1).get(0).i64(1).op(Op.i64_sub).tee(0).op(Op.i64_eqz).op(Op.i32_eqz).brIf(0).end();
    b.get(1).gset(0);
    const wasm = encodeModule([{ params: [I64], results: [] }], [{ module: 'c', name: 'g', kind: 'global', type: I64, mutable: true }],
      [{ type: 0, locals: [[1, I64]], body: b, export: 'f' }]);
    const text = validate(wasm);
    expect(text).toContain('(loop');
    const g = new WebAssembly.Global({ value: 'i64', mutable: true }, 0n);
    const inst = new WebAssembly.Instance(new WebAssembly.Module(wasm), { c: { g } });
    (inst.exports.f as (n: bigint) => void)(100n);
    expect(g.value).toBe(5050n);
  });
});

const op = (o: number, f: Partial<DecodedOp> = {}): DecodedOp => ({ op: o, rd: 0, rn: 0, rm: 0, ra: 0, p1: 0, p2: 0, imm: 0n, ...f });
describe('translated blocks validate (binaryen)', () => {
  const blocks: [string, DecodedOp[]][] = [
    ['SUBS/ADD/B.NE loop (loop.S)', [op(O.OP_SUBS_I64, { rd: 0, rn: 0, imm: 1n }), op(O.OP_ADD_SR64, { rd: 1, rn: 1, rm: 0 }), op(O.OP_BCOND, { p1: 1, imm: BigInt.asUintN(64, -8n) })]],
    ['loads, stores, pairs, SP base', [
      op(O.OP_LDST_IMM, { p1: O.LDST_LDRX, rd: 1, rn: L.REG_SP, imm: 8n }), op(O.OP_LDST_PRE, { p1: O.LDST_STRW, rd: 2, rn: 3, imm: 4n }),
      op(O.OP_LDP, { p1: O.LDST_LDRSW, rd: 4, ra: 5, rn: 6, p2: O.IDX_POST, imm: 8n }), op(O.OP_STP, { p1: O.LDST_STRX, rd: 4, ra: 5, rn: L.REG_SP, p2: O.IDX_PRE, imm: BigInt.asUintN(64, -16n) }),
      op(O.OP_LDST_REG, { p1: O.LDST_LDRSB32, rd: 7, rn: 8, rm: 9, p2: 6, ra: 0 }), op(O.OP_RET, { rn: 30 }),
    ]],
    ['flags consumers, division, a fallback op, a side exit', [
      op(O.OP_SUBS_SR32, { rd: L.REG_DISCARD, rn: 1, rm: 2 }), op(O.OP_CSINC64, { rd: 3, rn: 4, rm: 5, p1: 11 }),
      op(O.OP_CCMP, { rn: 1, imm: 3n, ra: 3, p1: 0, p2: 4 }), op(O.OP_ADCS32, { rd: 6, rn: 6, rm: 7 }),
      op(O.OP_SDIV64, { rd: 8, rn: 9, rm: 10 }), op(O.OP_REV64, { rd: 1, rn: 1 }), op(O.OP_CBZ32, { rn: 1, imm: 8n }),
      op(O.OP_UDIV32, { rd: 11, rn: 12, rm: 13 }), op(O.OP_BL, { imm: 0x100n }),
    ]],
    ['FP: fast paths, FCSEL after FCMP, conversions, SIMD&FP loads/stores and pairs, a SIMD op', [
      op(OS.OPS_LDP, { rd: 0, ra: 1, rn: 2, p1: 3, rm: O.IDX_POST, imm: 16n }), op(OS.OPS_LDST_IMM, { rd: 6, rn: L.REG_SP, p1: 4, p2: 1, imm: 32n }),
      op(OF.OP_FADD_D, { rd: 2, rn: 0, rm: 1, p1: 8 }), op(OF.OP_FMUL_D, { rd: 3, rn: 0, rm: 1, p1: 8 }), op(OF.OP_FMADD_D, { rd: 4, rn: 0, rm: 1, ra: 6, p1: 8 }),
      op(OF.OP_FSUB_S, { rd: 5, rn: 0, rm: 1, p1: 4 }), op(OF.OP_FMADD_S, { rd: 5, rn: 0, rm: 1, ra: 5, p1: 4 }),
      op(OF.OP_FP_CMP, { rn: 0, rm: 1, p1: 8 }), op(OF.OP_FP_CSEL, { rd: 7, rn: 0, rm: 1, p1: 8, imm: 12n }),
      op(OF.OP_FP_FROMINT, { rd: 8, rn: 9, p1: 8, imm: 64n }), op(OF.OP_FP_TOINT, { rd: 10, rn: 8, p1: 8, imm: 64n }),
      op(OS.OPS_LDST_REG, { rd: 2, rn: 3, rm: 4, ra: 3, p1: 3, p2: 0, imm: 3n }), op(OS.OPS_ADD, { rd: 9, rn: 9, rm: 9, p1: 2, p2: 1 }),
      op(O.OP_CBNZ64, { rn: 10, imm: BigInt.asUintN(64, -4n * 12n) }), op(O.OP_RET, { rn: 30 }),
    ]],
  ];
  for (const [name, ops] of blocks) {
    it(name, () => {
      const t = translateBlock(ops, 16);
      expect(t).not.toBeNull();
      const wasm = encodeModule(TYPES, IMPORTS, [{ type: 0, locals: LOCALS, body: t!.body, export: 'b0' }]);
      const text = validate(wasm);
      expect(text).toContain('(func');
      new WebAssembly.Module(wasm); // the engine accepts it too (tail calls included)
    });
  }
  it('a loop back to the block start becomes a wasm loop with the budget checked', () => {
    const t = translateBlock(blocks[0][1], 0)!;
    const text = validate(encodeModule(TYPES, IMPORTS, [{ type: 0, locals: LOCALS, body: t.body, export: 'b0' }]));
    expect(text).toContain('(loop');
  });
  it('a block that would mostly run through jitStep is left to the interpreter', () => {
    expect(translateBlock([op(O.OP_CRC32, { rd: 1, rn: 1, rm: 2 }), op(O.OP_SYS, { rd: 1 }), op(O.OP_SVC)], 0)).toBeNull();
  });
});

describe('the core table size', () => {
  it('is read from the env.table import of a module (after other imports)', () => {
    const wasm = encodeModule([{ params: [], results: [] }], [
      { module: 'env', name: 'abort', kind: 'func', type: 0 },
      { module: 'env', name: 'g', kind: 'global', type: I32, mutable: true },
      { module: 'env', name: 'memory', kind: 'memory', min: 2 },
      { module: 'env', name: 'table', kind: 'table', min: 300 },
    ], []);
    expect(importedTableMin(wasm)).toBe(300);
    validate(wasm);
  });
});
