// A small WebAssembly binary encoder for the compiled tier: LEB128, a function-body emitter with the
// opcodes the translator uses, and a module builder (types, imports, functions, exports). It is on
// the hot compile path, so it appends to plain number arrays and copies once into a Uint8Array.

export const I32 = 0x7f, I64 = 0x7e, F64 = 0x7c, V128 = 0x7b;

export function uleb(out: number[], v: number): void {
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
}

export function sleb32(out: number[], v: number): void {
  v |= 0;
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) { out.push(b); return; }
    out.push(b | 0x80);
  }
}

export function sleb64(out: number[], v: bigint): void {
  v = BigInt.asIntN(64, v);
  for (;;) {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    if ((v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0)) { out.push(b); return; }
    out.push(b | 0x80);
  }
}

/** Opcodes (WebAssembly core spec, section 5.4). */
export const Op = {
  unreachable: 0x00, block: 0x02, loop: 0x03, if: 0x04, else: 0x05, end: 0x0b, br: 0x0c, br_if: 0x0d,
  br_table: 0x0e, return: 0x0f, call: 0x10, drop: 0x1a, select: 0x1b,
  local_get: 0x20, local_set: 0x21, local_tee: 0x22, global_get: 0x23, global_set: 0x24,
  i32_load: 0x28, i64_load: 0x29, i64_load8_s: 0x30, i64_load8_u: 0x31, i64_load16_s: 0x32,
  i64_load16_u: 0x33, i64_load32_s: 0x34, i64_load32_u: 0x35, i32_load16_u: 0x2f, f64_div: 0xa3, f64_sqrt: 0x9f, f64_convert_i32_s: 0xb7, f64_convert_i32_u: 0xb8, f64_convert_i64_s: 0xb9,
  f64_convert_i64_u: 0xba, f32_convert_i64_s: 0xb4, f32_convert_i64_u: 0xb5,
  i32_store: 0x36, i64_store: 0x37, i64_store8: 0x3c, i64_store16: 0x3d, i64_store32: 0x3e,
  i32_const: 0x41, i64_const: 0x42,
  i32_eqz: 0x45, i32_eq: 0x46, i32_ne: 0x47, i32_lt_s: 0x48, i32_lt_u: 0x49, i32_gt_s: 0x4a,
  i32_gt_u: 0x4b, i32_le_s: 0x4c, i32_le_u: 0x4d, i32_ge_s: 0x4e, i32_ge_u: 0x4f,
  i64_eqz: 0x50, i64_eq: 0x51, i64_ne: 0x52, i64_lt_s: 0x53, i64_lt_u: 0x54, i64_gt_s: 0x55,
  i64_gt_u: 0x56, i64_le_s: 0x57, i64_le_u: 0x58, i64_ge_s: 0x59, i64_ge_u: 0x5a,
  i32_clz: 0x67, i32_add: 0x6a, i32_sub: 0x6b, i32_mul: 0x6c, i32_and: 0x71, i32_or: 0x72,
  i32_xor: 0x73, i32_shl: 0x74, i32_shr_s: 0x75, i32_shr_u: 0x76, i32_rotr: 0x78,
  i32_div_s: 0x6d, i32_div_u: 0x6e,
  i64_clz: 0x79, i64_add: 0x7c, i64_sub: 0x7d, i64_mul: 0x7e, i64_div_s: 0x7f, i64_div_u: 0x80,
  i64_and: 0x83, i64_or: 0x84, i64_xor: 0x85, i64_shl: 0x86, i64_shr_s: 0x87, i64_shr_u: 0x88,
  i64_rotr: 0x8a,
  i32_wrap_i64: 0xa7, i64_extend_i32_s: 0xac, i64_extend_i32_u: 0xad,
  i64_ctz: 0x7a, f64_load: 0x2b, f64_store: 0x39, f64_eq: 0x61, f64_ne: 0x62, f64_add: 0xa0, f64_sub: 0xa1,
  f64_mul: 0xa2, f32_demote_f64: 0xb6, f64_promote_f32: 0xbb, i32_reinterpret_f32: 0xbc, i64_reinterpret_f64: 0xbd,
  f32_reinterpret_i32: 0xbe, f64_reinterpret_i64: 0xbf, f64_abs: 0x99, f64_lt: 0x63, f64_gt: 0x64, f64_const: 0x44,
  i64_extend8_s: 0xc2, i64_extend16_s: 0xc3, i64_extend32_s: 0xc4, i32_extend8_s: 0xc0, i32_extend16_s: 0xc1,
} as const;

/**
 * WebAssembly SIMD opcodes (the 0xfd prefix; SIMD proposal, final opcode table). Integer lane ops
 * are listed per shape; the translator picks `[i8x16, i16x8, i32x4, i64x2][esz]` variants.
 */
export const V = {
  load: 0x00, load8x8_s: 0x01, load8x8_u: 0x02, load8_splat: 0x07, load16_splat: 0x08, load32_splat: 0x09, load64_splat: 0x0a,
  store: 0x0b, const: 0x0c, shuffle: 0x0d, swizzle: 0x0e,
  splat: [0x0f, 0x10, 0x11, 0x12],
  extract_s: [0x15, 0x18, 0x1b, 0x1d], extract_u: [0x16, 0x19, 0x1b, 0x1d], replace: [0x17, 0x1a, 0x1c, 0x1e],
  eq: [0x23, 0x2d, 0x37, 0xd6], ne: [0x24, 0x2e, 0x38, 0xd7],
  lt_s: [0x25, 0x2f, 0x39, 0xd8], lt_u: [0x26, 0x30, 0x3a, -1], gt_s: [0x27, 0x31, 0x3b, 0xd9], gt_u: [0x28, 0x32, 0x3c, -1],
  le_s: [0x29, 0x33, 0x3d, 0xda], le_u: [0x2a, 0x34, 0x3e, -1], ge_s: [0x2b, 0x35, 0x3f, 0xdb], ge_u: [0x2c, 0x36, 0x40, -1],
  not: 0x4d, and: 0x4e, andnot: 0x4f, or: 0x50, xor: 0x51, bitselect: 0x52, any_true: 0x53,
  abs: [0x60, 0x80, 0xa0, 0xc0], neg: [0x61, 0x81, 0xa1, 0xc1], popcnt8: 0x62,
  shl: [0x6b, 0x8b, 0xab, 0xcb], shr_s: [0x6c, 0x8c, 0xac, 0xcc], shr_u: [0x6d, 0x8d, 0xad, 0xcd],
  add: [0x6e, 0x8e, 0xae, 0xce], sub: [0x71, 0x91, 0xb1, 0xd1], mul: [-1, 0x95, 0xb5, 0xd5],
  add_sat_s: [0x6f, 0x8f, -1, -1], add_sat_u: [0x70, 0x90, -1, -1], sub_sat_s: [0x72, 0x92, -1, -1], sub_sat_u: [0x73, 0x93, -1, -1],
  min_s: [0x76, 0x96, 0xb6, -1], min_u: [0x77, 0x97, 0xb7, -1], max_s: [0x78, 0x98, 0xb8, -1], max_u: [0x79, 0x99, 0xb9, -1],
  avgr_u: [0x7b, 0x9b, -1, -1],
  /** extend_{low,high}_{s,u} producing lanes of esz + 1 from lanes of esz (index: esz of the source). */
  extend_low_s: [0x87, 0xa7, 0xc7], extend_high_s: [0x88, 0xa8, 0xc8], extend_low_u: [0x89, 0xa9, 0xc9], extend_high_u: [0x8a, 0xaa, 0xca],
  extmul_low_s: [0x9c, 0xbc, 0xdc], extmul_high_s: [0x9d, 0xbd, 0xdd], extmul_low_u: [0x9e, 0xbe, 0xde], extmul_high_u: [0x9f, 0xbf, 0xdf],
} as const;

/** Emits one function body's instructions. */
export class Body {
  readonly code: number[] = [];
  /** Structured constructs open (block, loop, if): a `br` to one opened at depth d is `br (depth - d)`. */
  depth = 0;
  op(o: number): this { this.code.push(o); return this; }
  get(l: number): this { this.code.push(Op.local_get); uleb(this.code, l); return this; }
  set(l: number): this { this.code.push(Op.local_set); uleb(this.code, l); return this; }
  tee(l: number): this { this.code.push(Op.local_tee); uleb(this.code, l); return this; }
  gget(g: number): this { this.code.push(Op.global_get); uleb(this.code, g); return this; }
  gset(g: number): this { this.code.push(Op.global_set); uleb(this.code, g); return this; }
  i32(v: number): this { this.code.push(Op.i32_const); sleb32(this.code, v); return this; }
  i64(v: bigint | number): this {
    this.code.push(Op.i64_const);
    // (a value that fits in 32 signed bits has the same signed LEB128 as an i64; no BigInt work)
    if (typeof v === 'number' && Number.isInteger(v) && v >= -0x8000_0000 && v <= 0x7fff_ffff) sleb32(this.code, v);
    else if (typeof v === 'bigint' && v >= -0x8000_0000n && v <= 0x7fff_ffffn) sleb32(this.code, Number(v));
    else sleb64(this.code, BigInt(v));
    return this;
  }
  /** A load or store with alignment hint `align` (log2) and constant offset. */
  mem(o: number, align: number, offset = 0): this { this.code.push(o); uleb(this.code, align); uleb(this.code, offset); return this; }
  f64(v: number): this {
    this.code.push(Op.f64_const);
    const dv = new DataView(new ArrayBuffer(8));
    dv.setFloat64(0, v, true);
    for (let i = 0; i < 8; i++) this.code.push(dv.getUint8(i));
    return this;
  }
  /** A SIMD instruction (0xfd prefix) without immediates. */
  simd(o: number): this {
    if (o < 0) throw new Error('jit: no such WebAssembly SIMD op');
    this.code.push(0xfd); uleb(this.code, o); return this;
  }
  /** v128.load / v128.store (and the other SIMD memory ops) with alignment hint `align` (log2) and offset. */
  vmem(o: number, align: number, offset = 0): this { this.code.push(0xfd); uleb(this.code, o); uleb(this.code, align); uleb(this.code, offset); return this; }
  /** A lane op (extract / replace) with its lane index. */
  lane(o: number, idx: number): this { this.simd(o); this.code.push(idx); return this; }
  /** v128.const from 16 bytes. */
  v128(bytes: number[]): this { this.code.push(0xfd); uleb(this.code, V.const); for (let i = 0; i < 16; i++) this.code.push(bytes[i] & 0xff); return this; }
  /** i8x16.shuffle with 16 lane indices (0..31: 0..15 the first operand, 16..31 the second). */
  shuffle(lanes: number[]): this { this.code.push(0xfd); uleb(this.code, V.shuffle); for (let i = 0; i < 16; i++) this.code.push(lanes[i]); return this; }
  call(f: number): this { this.code.push(Op.call); uleb(this.code, f); return this; }
  br(depth: number): this { this.code.push(Op.br); uleb(this.code, depth); return this; }
  brIf(depth: number): this { this.code.push(Op.br_if); uleb(this.code, depth); return this; }
  /** block / loop / if with no result. */
  begin(kind: number): this { this.code.push(kind, 0x40); this.depth++; return this; }
  /** `if` with a result of value type t. */
  ifT(t: number): this { this.code.push(Op.if, t); this.depth++; return this; }
  end(): this { this.code.push(Op.end); this.depth--; return this; }
}

export interface FuncType { params: number[]; results: number[] }
export type Import =
  | { module: string; name: string; kind: 'func'; type: number }
  | { module: string; name: string; kind: 'memory'; min: number }
  | { module: string; name: string; kind: 'global'; type: number; mutable: boolean }
  | { module: string; name: string; kind: 'table'; min: number };
export interface Func { type: number; locals: [count: number, type: number][]; body: Body; export?: string; /** For the name section (profilers). */ name?: string }

function section(out: number[], id: number, payload: number[]): void {
  out.push(id);
  uleb(out, payload.length);
  for (let i = 0; i < payload.length; i++) out.push(payload[i]);
}

function name(out: number[], s: string): void {
  uleb(out, s.length);
  for (let i = 0; i < s.length; i++) out.push(s.charCodeAt(i));
}

/**
 * Encodes a module: types, imports, functions (each exported), code. With `elemBase` (the index of
 * an imported immutable i32 global) the functions are not exported: an active element segment puts
 * them into table 0 from that global's value on at instantiation (no export objects, no JS
 * wrappers: measured, most of a small module's instantiation cost).
 */
export function encodeModule(types: FuncType[], imports: Import[], funcs: Func[], elemBase?: number): Uint8Array<ArrayBuffer> {
  const out: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  let s: number[] = [];
  uleb(s, types.length);
  for (const t of types) {
    s.push(0x60);
    uleb(s, t.params.length); s.push(...t.params);
    uleb(s, t.results.length); s.push(...t.results);
  }
  section(out, 1, s);
  s = [];
  uleb(s, imports.length);
  for (const im of imports) {
    name(s, im.module); name(s, im.name);
    if (im.kind === 'func') { s.push(0x00); uleb(s, im.type); }
    else if (im.kind === 'memory') { s.push(0x02, 0x00); uleb(s, im.min); }
    else if (im.kind === 'table') { s.push(0x01, 0x70, 0x00); uleb(s, im.min); }
    else { s.push(0x03, im.type, im.mutable ? 1 : 0); }
  }
  section(out, 2, s);
  s = [];
  uleb(s, funcs.length);
  for (const f of funcs) uleb(s, f.type);
  section(out, 3, s);
  const nImportedFuncs = imports.filter((i) => i.kind === 'func').length;
  if (elemBase === undefined) {
    s = [];
    uleb(s, funcs.length);
    funcs.forEach((f, i) => { name(s, f.export ?? `f${i}`); s.push(0x00); uleb(s, nImportedFuncs + i); });
    section(out, 7, s);
  } else {
    s = [0x01, 0x00, Op.global_get]; // one segment: active, table 0, offset global.get elemBase
    uleb(s, elemBase); s.push(Op.end);
    uleb(s, funcs.length);
    funcs.forEach((_, i) => uleb(s, nImportedFuncs + i));
    section(out, 9, s);
  }
  const named = funcs.some((f) => f.name);
  // Code section: sizes first, then one copy of each body into the result.
  const heads: number[][] = funcs.map((f) => {
    const h: number[] = [];
    uleb(h, f.locals.length);
    for (const [n, t] of f.locals) { uleb(h, n); h.push(t); }
    return h;
  });
  const sizes = funcs.map((f, i) => heads[i].length + f.body.code.length + 1);
  const pre: number[] = [];
  uleb(pre, funcs.length);
  let payload = pre.length;
  const sizeLebs = sizes.map((n) => { const l: number[] = []; uleb(l, n); payload += l.length + n; return l; });
  out.push(10);
  uleb(out, payload);
  for (const x of pre) out.push(x);
  const res = new Uint8Array(out.length + payload - pre.length);
  res.set(out);
  let at = out.length;
  funcs.forEach((f, i) => {
    res.set(sizeLebs[i], at); at += sizeLebs[i].length;
    res.set(heads[i], at); at += heads[i].length;
    res.set(f.body.code, at); at += f.body.code.length;
    res[at++] = Op.end;
  });
  if (!named) return res;
  // A "name" custom section (function names: profilers show them, e.g. node --perf-prof)
  const sub: number[] = [];
  uleb(sub, funcs.length);
  funcs.forEach((f, i) => { uleb(sub, nImportedFuncs + i); name(sub, f.name ?? f.export ?? `f${i}`); });
  const payload2: number[] = [];
  name(payload2, 'name');
  payload2.push(1); uleb(payload2, sub.length); payload2.push(...sub);
  const tail: number[] = [];
  section(tail, 0, payload2);
  const all = new Uint8Array(res.length + tail.length);
  all.set(res); all.set(tail, res.length);
  return all;
}
