#!/usr/bin/env node
// pkvm-emu command line. Every user error ends with one line on stderr and a non-zero status.
import { Core } from '../machine/core';
import { Command, CommanderError, Option } from 'commander';
import { UserError } from '../machine/errors';
import { boot } from './boot';

const EXIT_USAGE = 2;

function fail(msg: string, code = 1): never {
  process.stderr.write(`pkvm-emu: ${msg}\n`);
  process.exit(code);
}

export async function main(argv: string[]): Promise<void> {
  const program = new Command();
  program
    .name('pkvm-emu')
    .description('AArch64 machine emulator with a real EL2 that runs Linux pKVM\'s memory-protection model')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s.startsWith('error:') ? `pkvm-emu: ${s}` : s) })
    .showHelpAfterError(false);

  program
    .command('boot')
    .description('boot an AArch64 ELF image on the QEMU-virt board (UART to stdout)')
    .argument('<image>', 'ELF image (or raw image with --raw ADDR)')
    .option('--el2', 'enter the image at EL2 (like -M virt,virtualization=on)')
    .option('--mem <size>', 'RAM size, e.g. 128M, 1G', '128M')
    .option('--smp <n>', 'number of CPUs, 1 to 8 (CPU 0 boots, the others wait for PSCI CPU_ON)', '1')
    .option('--dump-dtb <file>', 'write the devicetree the guest would get to FILE and exit (QEMU -machine dumpdtb=FILE)')
    .option('--max-insns <n>', 'stop with an error after N instructions')
    .option('--stats', 'print to stderr at the end: instructions retired (per CPU), wall time, MIPS, exceptions by class, UNDEFINED encodings and unimplemented system registers hit')
    .option('--append <args>', 'kernel command line (/chosen/bootargs)')
    .option('--initrd <file>', 'initial ramdisk, placed and described in /chosen as QEMU\'s -initrd does')
    .option('--raw <addr>', 'load a raw binary at ADDR and enter there')
    .option('--no-semihosting', 'HLT #0xF000 is UNDEFINED instead of a semihosting call')
    .option('--gdb <port>', 'wait for gdb on 127.0.0.1:PORT before the first instruction (remote serial protocol)')
    .option('--timeout <time>', 'stop with an error after this much guest time, e.g. 10s, 250ms (CNTFRQ 62.5 MHz: 16 ns per instruction)')
    .option('--trace <file>', 'write a Perfetto-readable trace (Chrome JSON trace events) of the run')
    .option('--cpu <profile>', 'CPU profile: max (FP, AdvSIMD, crypto) or int (integer only)', 'max')
    .option('--no-jit', 'interpreter only: no compiled tier (hot code is otherwise compiled to WebAssembly)')
    .action(async (image: string, flags) => { process.exitCode = await boot(image, flags); });

  program
    .command('run')
    .description('run a scenario file (YAML or JSON): timeline, consoles, page table, expectations')
    .argument('<scenario>', 'scenario file, e.g. scenarios/default.yaml')
    .option('--quiet', 'no timeline: consoles, the final page table and the results only')
    .option('--trace-faults', 'show every event of the fault path (vCPU load/put, each donation or share)')
    .option('--gdb <port>', 'wait for gdb on 127.0.0.1:PORT; each vCPU of each VM is a thread')
    .option('--trace <file>', 'write a Perfetto-readable trace (Chrome JSON trace events) of the run')
    .option('--report <file>', 'write a self-contained HTML page-ownership report of the run')
    .option('--trace-source <source>', 'with --trace: model (default) or ring (also the hyp\'s own events, read from its tracing ring buffer)')
    .option('--stats', 'print to stderr at the end: instructions, wall time, MIPS, exceptions by class, UNDEFINED encodings and unimplemented system registers hit')
    .option('--no-jit', 'interpreter only: no compiled tier (also machine.jit: false in the scenario)')
    .addOption(new Option('--guest-hvc-abi <abi>', 'protected guests\' hypercall ABI at EL2, overriding machine.guest_hvc_abi: upstream (default) or android (MMIO guard, MEM_RELINQUISH, guest PSCI at EL2)').choices(['upstream', 'android']))
    .action(async (file: string, flags) => {
      if (flags.jit === false) Core.jitDefault = false; // every core the scenario creates
      // Loaded on use: `boot` does not depend on the hyp and host-kernel models.
      const { runCommand } = await import('./run');
      process.exitCode = runCommand(file, flags);
    });

  program
    .command('test')
    .description('run every scenario file in a directory, PASS/FAIL each, exit 1 on any failure')
    .argument('[dir]', 'directory of scenario files', 'scenarios')
    .option('--junit <file>', 'also write the results as JUnit XML')
    .option('--verbose', 'print each scenario\'s report')
    .action(async (dir: string, flags) => {
      const { testCommand } = await import('./test');
      process.exitCode = testCommand(dir, flags);
    });

  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') process.exit(0);
      process.exit(e.exitCode === 0 ? 0 : EXIT_USAGE);
    }
    if (e instanceof UserError) fail(e.message);
    if (process.env.PKVM_EMU_DEBUG) throw e;
    fail(`internal error: ${(e as Error).message ?? e} (set PKVM_EMU_DEBUG=1 for a stack trace)`, 70);
  }
}

void main(process.argv);
