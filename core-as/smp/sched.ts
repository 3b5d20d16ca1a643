// Deterministic round-robin scheduling of the CPUs inside the core, and the system counter.
//
// Time. One system counter serves every CPU (CNTPCT_EL0; CNTFRQ_EL0 = 62.5 MHz): it advances one
// tick per instruction retired by whichever CPU is running, so the CPUs' turns occupy successive
// stretches of one time line. Every read of the counter, on any CPU, is therefore at or after every
// read that happened before it in the machine's (serialised) execution — the uniform, monotonic
// view of system time the Arm ARM requires (D11.1.2): a value one CPU reads and passes to another is
// never ahead of what the other reads next. (An earlier model gave each CPU its own offset inside a
// round, so a CPU starting its turn read less than the CPU before it had just read; Linux's
// timekeeping_advance() then saw its clocksource go backwards and spun.) A CPU that sleeps (WFI,
// WFE, CPU_SUSPEND) or is off uses no ticks; it wakes when an interrupt is pending for it or its
// next timer deadline has passed; when every CPU sleeps, the counter jumps to the earliest deadline.
// With one CPU the counter equals the number of instructions retired plus the ticks skipped asleep.
//
// Scheduling. Turns go to CPUs 0, 1, ... numCpus-1 in order, then the next round; in a round each
// CPU runs up to `quantum` instructions. A turn ends when its quantum is used, when the CPU sleeps
// (or is turned off), or is cut short at the next timer deadline of any CPU (so the running CPU's
// timer fires at an exact tick and a sleeping CPU's timer wakes it at its deadline), or right
// after the instruction that makes the GIC signal an interrupt to a sleeping CPU (an IPI, a
// routed SPI): the woken CPU runs next rather than a quantum later; or right after a YIELD while
// another CPU runs, once the turn is YIELD_MIN_TURN long (a spin-wait: the CPU it waits for runs
// next). Exits to TypeScript (device access, firmware call, hosted EL2, ...) leave the exiting CPU current (EXIT_CPU names it) and the next
// run() continues its turn. Nothing depends on wall time: the same image and flags give the same
// interleaving and the same counts on every run.
import {
  CPU_BASE, EXIT_BASE, EXIT_BUDGET, EXIT_CPU, EXIT_REASON, EXIT_STUCK, EXIT_WFI, OFF_INSNS, OFF_NZCV, OFF_PC,
} from '../layout';
import {
  exitReason, nzcv, pc, remaining, savedRemaining, setExitReason, setMemFault, setRemaining, takeIrqBreak,
} from '../state';
import { interpret } from '../interp';
import { mmioDone, mmioReset } from '../mem';
import { timerRunStart } from '../timer';
import { gicBeforePiece } from '../gic/gic-run';
import { selfDebugAfterPiece, selfDebugBeforePiece, selfDebugPieceHooks } from '../selfdebug/piece';
import { nextTimerDeadline, wakeupPending } from '../gic/wake';
import {
  curCpu, MAX_CPUS, numCpus, otherCpuSignalled, setCurCpu, setNumCpus, setOtherCpuSignalled, setYieldEndsTurn,
  setYieldRequested, yieldRequested,
} from '../cpu-index';
import {
  CPU_OFF, CPU_RUN, CPU_STUCK, CPU_WFE, CPU_WFI, R_EVENT, R_SLEEP_MARK, R_SLEEP_TICK, R_STATE,
  R_RETIRED, R_TLB_VALID, R_USED, rec, REC_BYTES, tlbImage,
} from './percpu';
import { tlb2SetBase } from '../tlb2';
import { wfxKind } from './events';
import { loadCpu, saveCurrent, switchTo } from './switch';
import { isHeld, setHeldMask } from './debug-hold';

export const DEFAULT_QUANTUM: u32 = 100_000;
/**
 * A YIELD ends a turn only after this many instructions of it (the first slice of a turn is capped
 * here while another CPU runs): two CPUs that both spin on YIELD then switch every thousand
 * instructions, not every few, which would make a switch cost more than the spinning it saves.
 */
export const YIELD_MIN_TURN: u32 = 1000;
/** Ticks (instructions) per CPU per round. */
export let quantum: u32 = DEFAULT_QUANTUM;
/** The system counter outside a slice (during one: ticksNow(), which starts from this value). */
export let counterNow: u64 = 0;
/** Instructions retired by all CPUs together. */
export let totalRetired: u64 = 0;
/** The last run() returned EXIT_WFI: no CPU could wake. */
let reportedIdle: bool = false;

@inline function cpuState(c: u32): u32 { return load<u32>(rec(c) + R_STATE); }
@inline function setCpuState(c: u32, s: u32): void { store<u32>(rec(c) + R_STATE, s); }
@inline function used(c: u32): u32 { return load<u32>(rec(c) + R_USED); }
@inline function setUsed(c: u32, u: u32): void { store<u32>(rec(c) + R_USED, u); }

/** Counter value any CPU reads now (outside a slice). */
export function cpuNow(c: u32): u64 { return counterNow; }

/** Resets the scheduler for `n` CPUs: CPU 0 on and current, the others off (as QEMU's virt). */
export function smpReset(n: u32, q: u32): void {
  setNumCpus(n < 1 ? 1 : n > MAX_CPUS ? MAX_CPUS : n);
  quantum = q < 1 ? DEFAULT_QUANTUM : q;
  memory.fill(rec(0), 0, MAX_CPUS * REC_BYTES);
  setCpuState(0, CPU_RUN);
  setCurCpu(0);
  tlb2SetBase(tlbImage(0)); // (the caller's reset clears it)
  counterNow = 0;
  totalRetired = 0;
  reportedIdle = false;
  stuckCpu = -1;
  setHeldMask(0);
  timerRunStart(0, 0);
}

/**
 * Runs up to n instructions of the current CPU in pieces: before each, the GIC brings the timers up
 * to date, takes a takeable interrupt (not before the replay of a device access: deliver = false)
 * and caps the piece at the next timer deadline; a piece also ends early when an interrupt may have
 * become takeable (state.ts irqBreak).
 */
function slice(n: i32, deliver: bool = true): i32 {
  const c = curCpu;
  let done: i32 = 0;
  setOtherCpuSignalled(false);
  setYieldRequested(false);
  setYieldEndsTurn(numCpus > 1 && used(c) >= YIELD_MIN_TURN && otherCpuRunning(c));
  do {
    setExitReason(0);
    store<u32>(EXIT_BASE + EXIT_REASON, 0);
    setMemFault(false);
    timerRunStart(counterNow, 0);
    let want = n - done;
    const hooks = selfDebugPieceHooks(); // software step, PMU overflow interrupt (selfdebug/piece.ts)
    if (hooks) { want = selfDebugBeforePiece(want); if (exitReason != 0) break; }
    const piece = gicBeforePiece(want, deliver);
    if (exitReason != 0) break; // an interrupt taken to a TypeScript-hosted EL2
    deliver = true;
    setRemaining(piece);
    timerRunStart(counterNow, piece);
    interpret();
    const left = (exitReason != 0 ? savedRemaining : remaining) + takeIrqBreak();
    const retired = piece - left;
    if (hooks) selfDebugAfterPiece(retired);
    store<u64>(CPU_BASE + OFF_INSNS, load<u64>(CPU_BASE + OFF_INSNS) + <u64>retired);
    setUsed(c, used(c) + <u32>retired);
    counterNow += <u64>retired;
    store<u64>(rec(c) + R_RETIRED, load<u64>(rec(c) + R_RETIRED) + <u64>retired);
    totalRetired += <u64>retired;
    done += retired;
  } while (exitReason == 0 && done < n && !otherCpuSignalled && !yieldRequested);
  setRemaining(0);
  timerRunStart(counterNow, 0);
  return done;
}

/** The running CPU asked to sleep (WFI/WFE, or PSCI CPU_SUSPEND): sleep unless something wakes it. */
export function sleepRequest(kind: u32): void {
  const c = curCpu;
  if (wakeupPending(c)) return; // an interrupt is pending: WFI completes at once
  setCpuState(c, kind);
  store<u64>(rec(c) + R_SLEEP_MARK, totalRetired);
  store<u64>(rec(c) + R_SLEEP_TICK, counterNow);
}

function newRound(): void {
  for (let i: u32 = 0; i < numCpus; i++) setUsed(i, 0);
}

/** A timer deadline that wakes sleeping CPU c (one not already reached when it fell asleep), or MAX. */
function wakeDeadline(c: u32): u64 {
  const d = nextTimerDeadline(c);
  return d > load<u64>(rec(c) + R_SLEEP_TICK) ? d : u64.MAX_VALUE;
}

/**
 * The earliest deadline that wakes a sleeping CPU (MAX: none), skipping `exclude` (-1: none) and the
 * CPUs a debugger holds (they take no turn, so their deadlines neither end a turn nor end idling).
 */
function sleeperDeadline(exclude: i32): u64 {
  let best = u64.MAX_VALUE;
  for (let i: u32 = 0; i < numCpus; i++) {
    if (<i32>i == exclude || isHeld(i)) continue;
    const s = cpuState(i);
    if (s != CPU_WFI && s != CPU_WFE) continue;
    const d = wakeDeadline(i);
    if (d < best) best = d;
  }
  return best;
}

function wake(c: u32): void { setCpuState(c, CPU_RUN); }

/** True when a CPU other than the current one sleeps (WFI/WFE) with an interrupt signalled to it. */
function sleeperSignalled(): bool {
  for (let i: u32 = 0; i < numCpus; i++) {
    if (i == curCpu || isHeld(i)) continue;
    const s = cpuState(i);
    if ((s == CPU_WFI || s == CPU_WFE) && wakeupPending(i)) return true;
  }
  return false;
}

/** True when a CPU other than c is running (not asleep, off, stuck or held by a debugger). */
function otherCpuRunning(c: u32): bool {
  for (let i: u32 = 0; i < numCpus; i++) {
    if (i != c && cpuState(i) == CPU_RUN && !isHeld(i)) return true;
  }
  return false;
}

/** True when CPU c can take a turn now (waking it if it sleeps and something wakes it). */
function runnable(c: u32): bool {
  const s = cpuState(c);
  if (s == CPU_OFF || s == CPU_STUCK || isHeld(c)) return false;
  if (s != CPU_RUN) {
    if (wakeupPending(c)) {
      wake(c);
    } else if (s == CPU_WFE && (load<u32>(rec(c) + R_EVENT) != 0 || load<u64>(rec(c) + R_SLEEP_MARK) != totalRetired)) {
      // An event (SEV), or other CPUs ran and may have cleared its global monitor: WFE completes.
      store<u32>(rec(c) + R_EVENT, 0);
      wake(c);
    } else if (wakeDeadline(c) <= counterNow) {
      wake(c); // its timer's deadline has passed (a wake-up even if the GIC would not signal it)
    } else {
      return false;
    }
  }
  return used(c) < quantum;
}

/** Moves to the next CPU that can run, round-robin; false when none can ever wake. */
function advance(): bool {
  const n = numCpus;
  for (let i = curCpu + 1; i < n; i++) {
    if (runnable(i)) { switchTo(i, totalRetired); return true; }
  }
  newRound();
  for (let i: u32 = 0; i < n; i++) {
    if (runnable(i)) { switchTo(i, totalRetired); return true; }
  }
  return idle();
}

/**
 * No CPU can run now. With a timer deadline pending, the counter jumps to the earliest one and its
 * CPU wakes. Otherwise no time passes: a CPU in WFE completes its WFE (QEMU's WFE never sleeps;
 * the architecture lets WFE wake for any reason), else nothing can ever wake a CPU and the run
 * ends (or TypeScript's wake sources act).
 */
function idle(): bool {
  const best = sleeperDeadline(-1);
  let wfe: i32 = -1;
  for (let i: u32 = 0; i < numCpus; i++) {
    if (cpuState(i) == CPU_WFE && !isHeld(i) && (wfe < 0 || i == curCpu)) wfe = i;
  }
  if (best != u64.MAX_VALUE) {
    if (best > counterNow) counterNow = best;
    timerRunStart(counterNow, 0);
    for (let i: u32 = 0; i < numCpus; i++) {
      if (runnable(i)) { switchTo(i, totalRetired); return true; }
    }
  }
  if (wfe >= 0) {
    store<u32>(rec(<u32>wfe) + R_EVENT, 0);
    wake(<u32>wfe);
    switchTo(<u32>wfe, totalRetired);
    return true;
  }
  return false;
}

/** A CPU parked as stuck, and nothing else can run: the run ends with that CPU's stuck exit. */
let stuckCpu: i32 = -1;
function stuckEnd(): u32 {
  switchTo(<u32>stuckCpu, totalRetired);
  return finish(EXIT_STUCK);
}

/** A debugger changed the held CPUs (debug-hold.ts): an idle report made under other holds is void. */
export function forgetIdleReport(): void { reportedIdle = false; }

function reportIdle(): u32 {
  reportedIdle = true;
  return finish(EXIT_WFI);
}

function finish(r: u32): u32 {
  store<u64>(CPU_BASE + OFF_PC, pc);
  store<u32>(CPU_BASE + OFF_NZCV, nzcv);
  store<u32>(EXIT_BASE + EXIT_REASON, r);
  store<u32>(EXIT_BASE + EXIT_CPU, curCpu);
  return r;
}

/**
 * Runs the CPUs for up to `budget` instructions in total. Returns the exit reason: EXIT_BUDGET when
 * the budget ran out, EXIT_WFI when every CPU is off or asleep with nothing that can wake one, or
 * the exit of the current CPU (EXIT_CPU) for TypeScript to service before the next run().
 */
export function smpRun(budget: i32): u32 {
  let left = budget;
  // After an EXIT_WFI, TypeScript calls run() again only when something outside the core may have
  // woken the machine (a hosted vCPU resumed, console input): the reported CPU resumes after its
  // WFI (a spurious wake-up, which the architecture allows).
  if (reportedIdle) { reportedIdle = false; if (cpuState(curCpu) != CPU_OFF) wake(curCpu); }
  if (mmioDone > 0) { // replay the instruction that made the device access(es)
    left -= slice(1, false);
    if (exitReason != 0 && exitReason != EXIT_WFI) return finish(exitReason);
    mmioReset();
    if (exitReason == EXIT_WFI) {
      sleepRequest(wfxKind);
      if (cpuState(curCpu) != CPU_RUN && !advance()) return stuckCpu >= 0 ? stuckEnd() : reportIdle();
    }
  }
  while (left > 0) {
    const c = curCpu;
    if (cpuState(c) == CPU_RUN && used(c) < quantum) {
      let n = <i32>(quantum - used(c));
      if (n > left) n = left;
      // (the slice caps each piece at this CPU's own deadline; the turn ends at another's)
      if (numCpus > 1) {
        const d = sleeperDeadline(<i32>curCpu);
        if (d > counterNow && d - counterNow < <u64>n) n = <i32>(d - counterNow);
        // (a YIELD can end the turn from YIELD_MIN_TURN on: the slice before that stops there)
        if (used(c) < YIELD_MIN_TURN && <u32>n > YIELD_MIN_TURN - used(c) && otherCpuRunning(c)) n = <i32>(YIELD_MIN_TURN - used(c));
      }
      left -= slice(n);
      const x = exitReason;
      if (x == 0) {
        // An interrupt now signalled to a sleeping CPU ends this turn: the sleeper runs next.
        if (otherCpuSignalled && sleeperSignalled()) setUsed(c, quantum);
        // A YIELD while another CPU runs ends this turn (cpu-index.ts yieldEndsTurn).
        if (yieldRequested) { setYieldRequested(false); setUsed(c, quantum); }
        continue;
      }
      if (x == EXIT_WFI) {
        sleepRequest(wfxKind);
        if (cpuState(c) != CPU_RUN && !advance()) return stuckCpu >= 0 ? stuckEnd() : reportIdle();
        continue;
      }
      if (x == EXIT_STUCK && numCpus > 1) {
        // This CPU can never make progress (its payload is at EXIT_STUCK_*); the others may. The
        // run ends with its stuck exit only when no CPU can run any more.
        setCpuState(c, CPU_STUCK);
        stuckCpu = <i32>c;
        if (advance()) continue;
        switchTo(c, totalRetired);
        return finish(EXIT_STUCK);
      }
      return finish(x);
    }
    if (!advance()) return stuckCpu >= 0 ? stuckEnd() : reportIdle();
  }
  return finish(EXIT_BUDGET);
}

// --- PSCI support (machine/psci.ts decides; these change the CPUs' power states) ---------------

let cpuOnCaller: u32 = 0;

/**
 * First half of CPU_ON of `cpu` (which must be off): saves the caller and makes `cpu` current so
 * that the caller can reset it (index.ts smpCpuOn) before cpuOnEnd.
 */
export function cpuOnBegin(cpu: u32): void {
  cpuOnCaller = curCpu;
  saveCurrent(totalRetired);
  setCurCpu(cpu);
  tlb2SetBase(tlbImage(cpu)); // (its reset clears it)
  store<u64>(CPU_BASE + OFF_INSNS, 0);
  store<u32>(rec(cpu) + R_EVENT, 0);
}

/** Second half: `cpu` is on and joins the round at the caller's time; the caller is current again. */
export function cpuOnEnd(): void {
  const cpu = curCpu;
  setCpuState(cpu, CPU_RUN);
  setUsed(cpu, used(cpuOnCaller));
  saveCurrent(totalRetired);
  store<u32>(rec(cpu) + R_TLB_VALID, 1);
  loadCpu(cpuOnCaller, totalRetired);
}

/** CPU_OFF of the running CPU. Returns how many CPUs remain on. */
export function cpuOff(): u32 {
  setCpuState(curCpu, CPU_OFF);
  let on: u32 = 0;
  for (let i: u32 = 0; i < numCpus; i++) if (cpuState(i) != CPU_OFF) on++;
  return on;
}

/** 1 when CPU c is off, 0 when on (running or asleep): AFFINITY_INFO's encoding. */
export function cpuPowerState(c: u32): u32 { return c < numCpus && cpuState(c) != CPU_OFF ? 0 : 1; }

/** Instructions CPU c retired since the board's reset (a CPU turned off and on again keeps counting). */
export function cpuRetired(c: u32): u64 { return c < numCpus ? load<u64>(rec(c) + R_RETIRED) : 0; }

/** Raw scheduler state of CPU c (CPU_OFF / CPU_RUN / CPU_WFI / CPU_WFE), for tests and tools. */
export function cpuSchedState(c: u32): u32 { return c < numCpus ? cpuState(c) : CPU_OFF; }
