// vitest globalSetup: every temporary file or directory of a test run (os.tmpdir() in the tests, the
// CLI processes they start, gdb, chromium) goes under one directory of its own, removed when the run
// ends, so a run leaves nothing behind in /tmp. The forked test workers and their children inherit
// TMPDIR, which os.tmpdir() reads.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'pkvm-emu-test-'));
  process.env.TMPDIR = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
