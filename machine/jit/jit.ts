// The compiled tier's TypeScript half: when the core exits with EXIT_JIT (or returns for any other
// reason with blocks queued), compileQueued() takes the queue (core-as/jit/jit-layout.ts JIT_QUEUE),
// translates each block (translate.ts), encodes them all into one WebAssembly module
// (wasm-encoder.ts), compiles it with `new WebAssembly.Module`, instantiates it against the core's
// memory, globals and helpers, puts its functions into the core's function table and tells the
// core where they are (jitInstall). The core then calls them through that table (call_indirect):
// TypeScript only compiles, it never runs between blocks.
import { J, L, O, OF, OS } from '../core-constants';
import { encodeModule, type Func } from './wasm-encoder';
import { IMPORTS, LOCALS, TYPES, translateRegion, type Range } from './translate';
import { buildRegion, regionKey } from './region';

/** What the compiled tier needs from the core instance's exports. */
export interface JitCoreExports {
  memory: WebAssembly.Memory;
  jitEnable(on: number): void;
  jitInstall(entry: number, fn: number, len: number): number;
  jitCover(entry: number, count: number): void;
  jitReject(entry: number, never: number): void;
  jitQueueClear(): void;
  jitQueueWarm(slot: number, min: number): number;
  jitFlush(): void;
  jitExec: (...a: never[]) => unknown;
  jitBranchMisaligned: (...a: never[]) => unknown;
  jitFpOk: (...a: never[]) => unknown;
  jitFpOp: (...a: never[]) => unknown;
  jitChain: (...a: never[]) => unknown;
  jitPc: WebAssembly.Global;
  jitNzcv: WebAssembly.Global;
  jitRemaining: WebAssembly.Global;
  jitCurTlb: WebAssembly.Global;
}

export interface JitStats {
  /** Blocks compiled and installed. */
  blocksCompiled: number;
  /** Hot blocks left to the interpreter (mostly untranslated ops, or rewritten before compiling). */
  blocksRejected: number;
  /** Further ranges compiled into the blocks' regions (region.ts: out-of-line code their branches go to), and their instructions. */
  regionRanges: number;
  regionOps: number;
  /** Modules compiled (one per batch). */
  modules: number;
  /** Of those: taken from the process-wide cache (the same batch compiled before), only instantiated. */
  modulesCached: number;
  /**
   * Of blocksCompiled: installed with a function this core already has for the same code at
   * another physical address (another VM running the same image): no module at all.
   */
  blocksShared: number;
  /** Small loops watched (core-as/jit/jit-loop.ts), and those compiled early (each a batch of its own). */
  loopsWatched: number;
  loopExits: number;
  /** Wall time spent translating, encoding, compiling and instantiating (ms). */
  compileMs: number;
  /** Of compileMs: WebAssembly.Module + Instance (the engine's share). */
  engineMs: number;
  /** Bytes of WebAssembly generated. */
  bytes: number;
  /** Instructions retired inside compiled blocks (the rest ran in the interpreter). */
  insnsCompiled: bigint;
  /** Compiled blocks entered. */
  blocksEntered: bigint;
  /** Times compiled code was dropped (code written, decode slot reused). */
  invalidations: bigint;
  /** Instructions compiled blocks handed to the interpreter one at a time (jitStep). */
  steps: bigint;
  /** Wall ms spent running compiled blocks (helper calls included); NaN unless timed (setTiming). */
  compiledMs: number;
  /** Compiled-block runs that returned to the interpreter on another page (timed runs only). */
  exitsCrossPage: bigint;
  /** Where compiled code left for the core, by op, most frequent first (timed runs only: core-as/jit/jit-prof.ts). */
  profile: JitProfileRow[];
}

export interface JitProfileRow {
  /** 'exec': the instruction ran in the interpreter (jitExec); 'fpop': an FP/SIMD executor (jitFpOp). */
  kind: 'exec' | 'fpop';
  /** The op's name (core-as ops), with the sub-operation for the Advanced SIMD class engines. */
  op: string;
  count: number;
  /** The last PC it was seen at. */
  pc: bigint;
}

/** Op id → name (the core's op constants). */
let opNames: Map<number, string> | null = null;
function opName(key: number): string {
  if (!opNames) {
    opNames = new Map();
    for (const ns of [O, OF, OS] as Record<string, number>[]) {
      for (const [k, v] of Object.entries(ns)) if (/^OPS?_/.test(k) && !/_(FIRST|END)$/.test(k) && typeof v === 'number' && !opNames.has(v)) opNames.set(v, k);
    }
  }
  if (key >= 0x1000) {
    const op = 0x840 + ((key - 0x1000) >> 6);
    return `${opNames.get(op) ?? `op 0x${op.toString(16)}`} ra=0x${(key & 63).toString(16)}`;
  }
  return opNames.get(key) ?? `op 0x${key.toString(16)}`;
}

/** The --stats profile from the core's counters. */
function readProfile(dv: DataView): JitProfileRow[] {
  const rows: JitProfileRow[] = [];
  for (let kind = 0; kind < 2; kind++) {
    for (let key = 0; key < J.JIT_PROF_KEYS; key++) {
      const i = kind * J.JIT_PROF_KEYS + key;
      const count = dv.getUint32(J.JIT_PROF_COUNT + i * 4, true);
      if (count !== 0) rows.push({ kind: kind === 0 ? 'exec' : 'fpop', op: opName(key), count, pc: dv.getBigUint64(J.JIT_PROF_PC + i * 8, true) });
    }
  }
  return rows.sort((a, b) => b.count - a.count);
}

export interface JitOptions {
  /** Executions of a block start before it is queued (default 32). */
  hot?: number;
  /** Queued blocks that make the core stop to compile them (default 32). */
  batch?: number;
  /** Block starts interpreted with fewer queued before the core stops to compile them anyway (default 4000). */
  patience?: number;
  /**
   * Executions of a block start that closes a small loop in its page before the core watches it
   * (core-as/jit/jit-loop.ts; default 256, PKVM_EMU_JIT_LOOP_HOT; 0: off, such blocks wait for `hot`).
   */
  loopHot?: number;
  /**
   * Further starts of a watched loop, with little code run fewer than `loopHot` times in between,
   * before the core stops to compile it and its page's blocks that ran `loopHot` times (default 256,
   * PKVM_EMU_JIT_LOOP_PATIENCE).
   */
  loopPatience?: number;
  /** Also compile the blocks of the same pages that ran at least this share of `hot` times (default 1/4; 0: off, PKVM_EMU_JIT_WARM=0). */
  warm?: number;
  /** Grow blocks into regions with the out-of-line code their branches go to (region.ts; default on, PKVM_EMU_JIT_REGIONS=0 off). */
  regions?: boolean;
}

/**
 * PKVM_EMU_JIT_NAMES=1: compiled functions carry the physical address of their first instruction in
 * a name section (`node --perf-prof` / `--cpu-prof` then show which guest block is hot).
 */
const NAMES = typeof process !== 'undefined' && process.env.PKVM_EMU_JIT_NAMES === '1';
function blockName(dv: DataView, entry: number): string {
  const ppn1 = dv.getUint32(L.SLOT_PPN + (entry >> 10) * 4, true);
  const pa = ppn1 ? L.RAM_BASE_PA + BigInt((ppn1 - 1) * 4096 + (entry & 1023) * 4) : -1n;
  return `guest-pa-0x${pa.toString(16)}`;
}

/** What installing a compiled region tells the core: its entry, the budget one pass needs, the further ranges' ops. */
interface Install { entry: number; len: number; covers: [entry: number, count: number][] }

function installOf(entry: number, ranges: Range[] | null): Install {
  if (!ranges) return { entry, len: 0, covers: [] };
  const base = entry - (entry & 1023);
  return { entry, len: Math.max(...ranges.map((r) => r.ops.length)), covers: ranges.slice(1).map((r) => [base + r.first, r.ops.length]) };
}

/** PKVM_EMU_JIT_REGIONS=0: compile each queued block alone (no further ranges: measuring region.ts). */
const REGIONS_DEFAULT = typeof process === 'undefined' || process.env.PKVM_EMU_JIT_REGIONS !== '0';

/** Table slots used before everything is dropped and the slots are reused. */
const TABLE_CAP = 1 << 16;

/**
 * Compiled modules by the content of their batch (each block's position in its page and its decoded
 * ops), shared by every core of the process: a module imports everything instance-specific (memory,
 * globals, table, helpers) and its code depends on nothing else, so a machine that runs the same
 * guest again (benchmark repetitions, tests, scenario VMs booting the same image) instantiates the
 * module instead of translating and compiling it again.
 */
const moduleCache = new Map<string, { module: WebAssembly.Module; kept: number[]; loops: boolean[]; bytes: number }>();
const MODULE_CACHE_CAP = 1024;

export class Jit {
  readonly stats: JitStats = {
    blocksCompiled: 0, blocksRejected: 0, regionRanges: 0, regionOps: 0, modules: 0, modulesCached: 0, blocksShared: 0, loopsWatched: 0, loopExits: 0, compileMs: 0, engineMs: 0, bytes: 0,
    insnsCompiled: 0n, blocksEntered: 0n, invalidations: 0n, steps: 0n, compiledMs: NaN, exitsCrossPage: 0n, profile: [],
  };
  private readonly imports: WebAssembly.Imports;
  private readonly firstSlot: number;
  private nextSlot: number;
  private readonly regions: boolean;
  /** Executions that make a block of a hot block's page join its batch (0: only hot blocks). */
  private readonly warmMin: number;
  /** Decode entries of the compiled blocks that loop inside their function (region.ts joins the others). */
  private readonly loops = new Set<number>();
  /**
   * This core's compiled functions by their region's content (regionKey with the page offset): the
   * table slot holding it, its budget and whether it loops. A function is a pure function of the
   * decoded ops of its ranges and their page offsets (the decode entry and PC are its arguments),
   * so the same code at another physical address (four VMs booted from one image) gets the same
   * slot: no module compiled or instantiated. Each address keeps its own JIT_MAP entry, counts and
   * invalidation (a write over one copy drops only that copy's entry).
   */
  private readonly byContent = new Map<string, { slot: number; len: number; loops: boolean }>();

  constructor(private readonly x: JitCoreExports, private readonly table: WebAssembly.Table, opts: JitOptions = {}) {
    this.imports = {
      c: {
        step: x.jitExec, mis: x.jitBranchMisaligned, fpok: x.jitFpOk, fpop: x.jitFpOp, chain: x.jitChain, memory: x.memory,
        pc: x.jitPc, nzcv: x.jitNzcv, rem: x.jitRemaining, tlb: x.jitCurTlb, table,
      },
    };
    this.regions = opts.regions ?? REGIONS_DEFAULT;
    const hot = opts.hot ?? jitHotDefault();
    const warm = opts.warm ?? (typeof process !== 'undefined' && process.env.PKVM_EMU_JIT_WARM === '0' ? 0 : 0.25);
    this.warmMin = warm > 0 ? Math.max(1, Math.floor(hot * warm)) : 0;
    this.firstSlot = table.length;
    this.nextSlot = this.firstSlot;
    const dv = new DataView(x.memory.buffer);
    dv.setUint32(J.JIT_PARAMS + J.JP_HOT, hot, true);
    dv.setUint32(J.JIT_PARAMS + J.JP_BATCH, opts.batch ?? envInt('PKVM_EMU_JIT_BATCH', 32), true);
    dv.setUint32(J.JIT_PARAMS + J.JP_PATIENCE, opts.patience ?? envInt('PKVM_EMU_JIT_PATIENCE', 4000), true);
    const loopHot = opts.loopHot ?? envCount('PKVM_EMU_JIT_LOOP_HOT', LOOP_HOT_DEFAULT);
    dv.setUint32(J.JIT_PARAMS + J.JP_LOOP_HOT, loopHot > 0 && loopHot < hot ? loopHot : 0, true);
    dv.setUint32(J.JIT_PARAMS + J.JP_LOOP_PATIENCE, opts.loopPatience ?? envCount('PKVM_EMU_JIT_LOOP_PATIENCE', LOOP_PATIENCE_DEFAULT), true);
    x.jitEnable(1);
  }

  /** Counters kept by the core, read now. */
  readStats(): JitStats {
    const dv = new DataView(this.x.memory.buffer);
    this.stats.insnsCompiled = dv.getBigUint64(J.JIT_PARAMS + J.JP_INSNS_JIT, true);
    this.stats.blocksEntered = dv.getBigUint64(J.JIT_PARAMS + J.JP_ENTERS, true);
    this.stats.invalidations = dv.getBigUint64(J.JIT_PARAMS + J.JP_INVALIDATIONS, true);
    this.stats.steps = dv.getBigUint64(J.JIT_PARAMS + J.JP_STEPS, true);
    const timed = dv.getUint32(J.JIT_PARAMS + J.JP_TIMING, true) !== 0;
    this.stats.compiledMs = timed ? dv.getFloat64(J.JIT_PARAMS + J.JP_TIME_MS, true) : NaN;
    this.stats.exitsCrossPage = dv.getBigUint64(J.JIT_PARAMS + J.JP_EXIT_XPAGE, true);
    this.stats.loopsWatched = dv.getUint32(J.JIT_PARAMS + J.JP_LOOPS_WATCHED, true);
    this.stats.loopExits = dv.getUint32(J.JIT_PARAMS + J.JP_LOOP_EXITS, true);
    this.stats.profile = timed ? readProfile(dv) : [];
    return { ...this.stats };
  }

  /**
   * Times every run of a compiled block with the host clock (`--stats`: the wall time spent in
   * compiled code). Off by default: it costs two clock reads per block entry.
   */
  setTiming(on: boolean): void {
    new DataView(this.x.memory.buffer).setUint32(J.JIT_PARAMS + J.JP_TIMING, on ? 1 : 0, true);
  }

  /** Compiles every queued block (nothing when the queue is empty). */
  compileQueued(): void {
    const dv = new DataView(this.x.memory.buffer);
    let count = dv.getUint32(J.JIT_QUEUE, true);
    // Only riders (small loops queued early, core-as/jit/jit-loop.ts): they wait for the next batch.
    if (count === 0 || dv.getUint32(J.JIT_QUEUE + 4, true) === count) return;
    const t0 = performance.now();
    if (this.warmMin > 0) {
      // The warm blocks of the hot blocks' pages join the batch: a module costs about 0.9 ms of CPU
      // whatever its size, a function about 0.04 ms (measured), and code near hot code runs soon.
      const slots = new Set<number>();
      for (let i = 0; i < count; i++) slots.add(dv.getUint32(J.JIT_QUEUE + 8 + i * 8, true) >> 10);
      for (const s of slots) this.x.jitQueueWarm(s, this.warmMin);
      count = dv.getUint32(J.JIT_QUEUE, true);
    }
    const blocks: { entry: number; len: number }[] = [];
    for (let i = 0; i < count; i++) {
      const q = J.JIT_QUEUE + 8 + i * 8;
      blocks.push({ entry: dv.getUint32(q, true), len: dv.getUint32(q + 4, true) });
    }
    this.x.jitQueueClear();
    if (this.nextSlot + count > this.firstSlot + TABLE_CAP) {
      this.x.jitFlush(); // every block forgotten: the table slots can be reused
      this.nextSlot = this.firstSlot;
      this.byContent.clear();
      for (const b of blocks) this.x.jitReject(b.entry, 0);
      return;
    }
    const mem = new Uint8Array(this.x.memory.buffer);
    // Each block grows into a region (region.ts); null: rewritten since it was queued (count again).
    const allRegions = blocks.map((blk) => buildRegion(dv, blk.entry, blk.len, this.regions, this.loops));
    const allKeys = blocks.map((blk, i) => allRegions[i] ? `${blk.entry & 1023}=${regionKey(mem, blk.entry, allRegions[i]!)};` : 'stale;');
    // The same code compiled for another address: its function installed again (no module).
    const rest: number[] = [];
    blocks.forEach((blk, i) => {
      const have = allRegions[i] ? this.byContent.get(allKeys[i]) : undefined;
      if (!have) { rest.push(i); return; }
      const ins = installOf(blk.entry, allRegions[i]);
      this.noteLoop(blk.entry, have.loops);
      if (this.x.jitInstall(blk.entry, have.slot, have.len)) {
        this.stats.blocksCompiled++;
        this.stats.blocksShared++;
        this.cover(ins);
      }
    });
    if (rest.length === 0) { this.stats.compileMs += performance.now() - t0; return; }
    if (rest.length < blocks.length) blocks.splice(0, blocks.length, ...rest.map((i) => blocks[i]));
    const regions = rest.map((i) => allRegions[i]);
    const keys = rest.map((i) => allKeys[i]);
    const key = keys.join('');
    const installs = blocks.map((blk, i) => installOf(blk.entry, regions[i]));
    const hit = moduleCache.get(key);
    if (hit) {
      hit.kept.forEach((i, k) => this.noteLoop(blocks[i].entry, hit.loops[k]));
      this.install(hit.module, hit.kept.map((i, k) => ({ ...installs[i], key: keys[i], loops: hit.loops[k] })), t0, hit.bytes, true);
      for (let i = 0; i < blocks.length; i++) if (!hit.kept.includes(i)) { this.x.jitReject(blocks[i].entry, regions[i] ? 1 : 0); this.stats.blocksRejected++; }
      return;
    }
    const funcs: Func[] = [];
    const keptIdx: number[] = [];
    const keptLoops: boolean[] = [];
    let anyStale = false;
    for (const [bi, blk] of blocks.entries()) {
      const ranges = regions[bi];
      const t = ranges ? translateRegion(ranges) : null;
      if (!ranges) anyStale = true;
      if (!t) { this.x.jitReject(blk.entry, ranges ? 1 : 0); this.stats.blocksRejected++; continue; }
      funcs.push({ type: 0, locals: LOCALS, body: t.body, export: `b${keptIdx.length}`, name: NAMES ? blockName(dv, blk.entry) : undefined });
      keptIdx.push(bi);
      keptLoops.push(t.loops);
      this.noteLoop(blk.entry, t.loops);
    }
    if (funcs.length > 0) {
      const bytes = encodeModule(TYPES, IMPORTS, funcs);
      const t1 = performance.now();
      const module = new WebAssembly.Module(bytes);
      this.stats.engineMs += performance.now() - t1;
      if (!anyStale) {
        if (moduleCache.size >= MODULE_CACHE_CAP) moduleCache.clear();
        moduleCache.set(key, { module, kept: keptIdx, loops: keptLoops, bytes: bytes.length });
      }
      this.install(module, keptIdx.map((i, k) => ({ ...installs[i], key: keys[i], loops: keptLoops[k] })), t0, bytes.length, false);
      return;
    }
    this.stats.compileMs += performance.now() - t0;
  }

  private noteLoop(entry: number, loops: boolean): void { if (loops) this.loops.add(entry); else this.loops.delete(entry); }

  /** Instantiates a compiled module and installs its functions for `kept` (in export order). */
  private install(module: WebAssembly.Module, kept: (Install & { key: string; loops: boolean })[], t0: number, bytes: number, cached: boolean): void {
    const t1 = performance.now();
    const inst = new WebAssembly.Instance(module, this.imports);
    this.stats.engineMs += performance.now() - t1;
    this.stats.bytes += bytes;
    this.stats.modules++;
    if (cached) this.stats.modulesCached++;
    const need = this.nextSlot + kept.length - this.table.length;
    if (need > 0) this.table.grow(Math.max(need, 256)); // in steps: each grow copies the table
    kept.forEach((blk, i) => {
      const slot = this.nextSlot++;
      this.table.set(slot, inst.exports[`b${i}`] as WebAssembly.ExportValue as never);
      this.byContent.set(blk.key, { slot, len: blk.len, loops: blk.loops });
      if (this.x.jitInstall(blk.entry, slot, blk.len)) {
        this.stats.blocksCompiled++;
        this.cover(blk);
      }
    });
    this.stats.compileMs += performance.now() - t0;
  }

  /** Marks a region's further ranges in the core (a write over them drops the page's blocks). */
  private cover(blk: Install): void {
    for (const [e, n] of blk.covers) { this.x.jitCover(e, n); this.stats.regionRanges++; this.stats.regionOps += n; }
  }
}

/** The compiled-tier lines of `--stats` (the integrator joins them with the other counters). */
export function jitStatsLines(s: JitStats | null, totalInsns: bigint, wallMs: number): string[] {
  if (!s) return ['jit: off (--no-jit): every instruction interpreted'];
  const pct = (a: bigint): string => totalInsns > 0n ? `${(Number(a) * 100 / Number(totalInsns)).toFixed(1)}%` : '-';
  const interp = totalInsns > s.insnsCompiled ? totalInsns - s.insnsCompiled : 0n;
  return [
    `jit: ${s.blocksCompiled} blocks compiled in ${s.modules} modules (${s.modulesCached} from the cache; ${s.blocksShared} blocks share the function of the same code at another address; ${s.blocksRejected} blocks left to the interpreter), ${(s.bytes / 1024).toFixed(0)} KiB of WebAssembly; ${s.regionRanges} out-of-line ranges (${s.regionOps} instructions) joined to their blocks; ${s.loopsWatched} small loops watched, ${s.loopExits} compiled early`,
    `jit: compile time ${s.compileMs.toFixed(1)} ms (${wallMs > 0 ? (s.compileMs * 100 / wallMs).toFixed(1) : '-'}% of the run; engine ${s.engineMs.toFixed(1)} ms), ${s.compileMs > 0 ? Math.round(s.blocksCompiled * 1000 / s.compileMs) : 0} blocks/s`,
    `jit: instructions retired: ${s.insnsCompiled} compiled (${pct(s.insnsCompiled)}), ${interp} interpreted (${pct(interp)}); ${s.blocksEntered} block entries from the interpreter, ${s.steps} single instructions through jitStep, ${s.invalidations} invalidations`,
    ...(Number.isNaN(s.compiledMs) ? [] : [timeLine(s, totalInsns, wallMs)]),
    ...(Number.isNaN(s.compiledMs) ? [] : [`jit: ${s.exitsCrossPage} compiled-block runs ended on another page (back to the interpreter's fetch)`]),
    ...s.profile.slice(0, 16).map((r) => `jit: left compiled code: ${r.count} x ${r.op} (${r.kind === 'exec' ? 'interpreter' : 'executor'}), last at pc 0x${r.pc.toString(16)}`),
  ];
}

/** Wall time per tier: compiled blocks (helpers included), compiling, and the rest (interpreter, devices, host). */
function timeLine(s: JitStats, totalInsns: bigint, wallMs: number): string {
  const interp = totalInsns > s.insnsCompiled ? totalInsns - s.insnsCompiled : 0n;
  const rest = Math.max(wallMs - s.compiledMs - s.compileMs, 0);
  const share = (ms: number): string => (wallMs > 0 ? `${(ms * 100 / wallMs).toFixed(1)}%` : '-');
  const mips = (n: bigint, ms: number): string => (ms > 0 ? (Number(n) / ms / 1000).toFixed(1) : '-');
  return `jit: wall time: ${s.compiledMs.toFixed(1)} ms in compiled code (${share(s.compiledMs)}, ${mips(s.insnsCompiled, s.compiledMs)} MIPS), ` +
    `${s.compileMs.toFixed(1)} ms compiling (${share(s.compileMs)}), ${rest.toFixed(1)} ms interpreting and the rest (${share(rest)}, ${mips(interp, rest)} MIPS)`;
}

/**
 * Executions before a block is compiled: PKVM_EMU_JIT_HOT in the environment, else 5000. Measured
 * on the Debian kernel's protected boot to poweroff (1.05 G instructions, loaded machine): 32 spent
 * 44% of the run compiling 21,882 blocks (16.2 s wall, 1.1 GB RSS); 1000: 24%, 8.7 s; 5000: 10%,
 * 7.1 s, 255 MB; 20000: 4%, 6.9 s. The compute and loop images run at the same speed with 32 and 5000.
 */
function jitHotDefault(): number { return envInt('PKVM_EMU_JIT_HOT', 5000); }

/** Small loops (core-as/jit/jit-loop.ts): queued at this many executions, compiled this many block starts later. */
const LOOP_HOT_DEFAULT = 256;
const LOOP_PATIENCE_DEFAULT = 256;

/** A non-negative integer from the environment, else `def`. */
function envCount(name: string, def: number): number {
  const v = typeof process === 'undefined' ? NaN : Number(process.env[name]);
  return Number.isInteger(v) && v >= 0 && process.env[name] !== '' ? v : def;
}

/** A positive integer from the environment (PKVM_EMU_JIT_HOT / _BATCH / _PATIENCE: measuring the thresholds), else `def`. */
function envInt(name: string, def: number): number {
  const v = typeof process === 'undefined' ? NaN : Number(process.env[name]);
  return Number.isInteger(v) && v > 0 ? v : def;
}
