// Counts of what the core does not implement, for `--stats` (cli/stats.ts): every UNDEFINED
// encoding executed (the decoder's OP_UDF: unallocated, or an encoding no decoder claims) and every
// access to a system register or SYS operation the core does not have, each kept once with a count,
// the EL and PC of its first execution. Called only on those slow paths (interp.ts OP_UDF,
// exec-sys.ts unknown TLBI). Tables at UNDEF_STATS / SYSREG_STATS (layout.ts).
import { SYSREG_STATS, SYSREG_STATS_CAP, UNDEF_STATS, UNDEF_STATS_CAP } from '../layout';
import { D_IMM } from '../decoded';
import { curEL } from '../state';

const ENTRY: u32 = 24;

function bump(base: u32, cap: u32, key: u32, pc: u64): void {
  const n = load<u32>(base);
  for (let i: u32 = 0; i < n; i++) {
    const a = base + 16 + i * ENTRY;
    if (load<u32>(a) == key) { store<u64>(a + 8, load<u64>(a + 8) + 1); return; }
  }
  if (n >= cap) { store<u64>(base + 8, load<u64>(base + 8) + 1); return; }
  const a = base + 16 + n * ENTRY;
  store<u32>(a, key);
  store<u32>(a + 4, curEL);
  store<u64>(a + 8, 1);
  store<u64>(a + 16, pc);
  store<u32>(base, n + 1);
}

/** An access to system register / SYS operation `key` (srKey layout) the core does not implement. */
export function noteSysreg(key: u32, isRead: bool, pc: u64): void {
  bump(SYSREG_STATS, SYSREG_STATS_CAP, (key & 0xffff) | (isRead ? 1 << 16 : 0), pc);
}

/**
 * The OP_UDF entry e executes at pc (decode.ts keeps the encoding in its immediate). An MRS, MSR,
 * SYS or SYSL (op0 != 0 in the system class) is an unimplemented register or operation; anything
 * else an UNDEFINED encoding.
 */
export function noteUndefined(e: u32, pc: u64): void {
  const insn = <u32>load<u64>(e, D_IMM);
  if ((insn & 0xffc00000) == 0xd5000000 && ((insn >> 19) & 3) != 0) {
    noteSysreg((insn >> 5) & 0xffff, ((insn >> 21) & 1) != 0, pc);
    return;
  }
  bump(UNDEF_STATS, UNDEF_STATS_CAP, insn, pc);
}

/** Empties both tables. */
export function undefStatsClear(): void {
  memory.fill(UNDEF_STATS, 0, 16 + UNDEF_STATS_CAP * ENTRY);
  memory.fill(SYSREG_STATS, 0, 16 + SYSREG_STATS_CAP * ENTRY);
}
