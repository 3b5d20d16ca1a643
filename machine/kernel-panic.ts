// Recognises a Linux kernel panic on the console, so that a boot that panics ends with the panic
// line and a non-zero status instead of spinning in panic()'s delay loop forever. The kernel prints
//   Kernel panic - not syncing: <reason>
// then (CPUs stopped, registers, memory limit) the closing
//   ---[ end Kernel panic - not syncing: <reason> ]---
// The watch reports the panic when the closing line is complete (or, for a kernel built without
// it, at the first line after the opening one that is not part of the panic report, bounded).

const OPEN = /Kernel panic - not syncing: (.*)$/;
const CLOSE = /---\[ end Kernel panic - not syncing: (.*) \]---/;
/** Lines of panic report the watch waits for before it gives up on the closing line. */
const MAX_REPORT_LINES = 200;

export class KernelPanicWatch {
  private line: number[] = [];
  private reason: string | undefined;
  private linesSince = 0;
  /** Set when the panic is complete: the reason the kernel gave. */
  panic: string | undefined;

  /** Feeds one console byte; true when a complete panic has just been seen. */
  feed(b: number): boolean {
    if (this.panic !== undefined) return false;
    if (b !== 10) {
      if (b !== 13 && this.line.length < 1024) this.line.push(b);
      return false;
    }
    const text = Buffer.from(this.line).toString('latin1');
    this.line = [];
    const close = CLOSE.exec(text);
    if (close) { this.panic = close[1]; return true; }
    const open = OPEN.exec(text);
    if (open && this.reason === undefined) { this.reason = open[1]; return false; }
    if (this.reason !== undefined && ++this.linesSince > MAX_REPORT_LINES) { this.panic = this.reason; return true; }
    return false;
  }
}
