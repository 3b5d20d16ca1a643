// `monitor` commands (qRcmd) of the gdb stub, for what gdb has no command for:
//   monitor help                  this list
//   monitor phys | virt           memory packets (x/, set *…) take physical | virtual addresses
//   monitor regime cur|el1|el2|ipa
//                                 the translation regime of virtual addresses: the thread's own
//                                 (default), the EL1&0 regime (stage 1 + stage 2 when enabled),
//                                 the EL2 regime, or stage 2 only (address = IPA, VTTBR_EL2/VTCR_EL2)
//   monitor xp ADDR [LEN]         hex dump of LEN (default 64) bytes of physical memory
//   monitor translate ADDR        the PA of ADDR in the current regime, or the fault
//   monitor info                  addressing mode, breakpoints, watchpoints, threads
import type { GdbStub } from './stub';
import type { Regime } from './target';

export const MONITOR_HELP = `monitor commands:
  phys | virt                 memory accesses use physical | virtual addresses
  regime cur|el1|el2|ipa      translation regime of virtual addresses (now: see info)
  xp ADDR [LEN]               hex dump of physical memory (LEN default 64, at most 4096)
  translate ADDR              the PA of ADDR in the current regime
  info                        addressing, breakpoints, watchpoints, threads
`;

function num(s: string | undefined): bigint | null {
  if (s === undefined) return null;
  try {
    const v = BigInt(/^0x/i.test(s) || /^[0-9]+$/.test(s) ? s : `0x${s}`);
    return v >= 0n && v < 1n << 64n ? v : null;
  } catch { return null; }
}

export function hexDump(addr: bigint, data: Uint8Array): string {
  let out = '';
  for (let i = 0; i < data.length; i += 16) {
    const row = [...data.subarray(i, i + 16)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    out += `0x${(addr + BigInt(i)).toString(16).padStart(16, '0')}: ${row}\n`;
  }
  return out;
}

/** Runs one monitor command line; returns its output (always ends with a newline). */
export function runMonitor(stub: GdbStub, line: string): string {
  const [cmd, ...args] = line.trim().split(/\s+/);
  switch (cmd) {
    case undefined: case '': case 'help': return MONITOR_HELP;
    case 'phys': stub.phys = true; return 'memory accesses use physical addresses\n';
    case 'virt': stub.phys = false; return `memory accesses use virtual addresses (regime ${stub.regime})\n`;
    case 'regime': {
      const r = args[0];
      if (r !== 'cur' && r !== 'el1' && r !== 'el2' && r !== 'ipa') return `usage: monitor regime cur|el1|el2|ipa (now ${stub.regime})\n`;
      stub.regime = r as Regime;
      stub.phys = false;
      return `virtual addresses translate in regime ${r}\n`;
    }
    case 'xp': {
      const a = num(args[0]), n = args[1] === undefined ? 64n : num(args[1]);
      if (a === null || n === null || n === 0n || n > 4096n) return 'usage: monitor xp ADDR [LEN] (LEN 1..4096)\n';
      const core = stub.core;
      const len = Number(n);
      if (!core.isRam(a, len)) return `physical 0x${a.toString(16)}+${len} is not RAM\n`;
      return hexDump(a, core.readPhys(a, len));
    }
    case 'translate': {
      const a = num(args[0]);
      if (a === null) return 'usage: monitor translate ADDR\n';
      const t = stub.selectedThread();
      const pa = t.translate(a, stub.regime);
      return typeof pa === 'string'
        ? `0x${a.toString(16)} (${t.name}, regime ${stub.regime}): ${pa}\n`
        : `0x${a.toString(16)} (${t.name}, regime ${stub.regime}) -> PA 0x${pa.toString(16)}\n`;
    }
    case 'info': {
      const threads = stub.target.threads().map((t) => `  ${t.id} ${t.name}: ${t.extraInfo()}${t.live() ? ' (on the core)' : ''}`).join('\n');
      return `${stub.describe()}threads:\n${threads}\n`;
    }
    default: return `unknown monitor command '${cmd}'\n${MONITOR_HELP}`;
  }
}
