/** The bundled CLI (dist/pkvm-emu.mjs, built by npm run build) run as a user runs it, for the CLI tests. */
import { spawnSync } from 'node:child_process';
import { expect } from 'vitest';

export const cliPath = new URL('../../dist/pkvm-emu.mjs', import.meta.url).pathname;

export interface CliResult { status: number | null; out: string; err: string }

export function runCli(args: string[], opts: { encoding?: BufferEncoding; timeout?: number; cwd?: string } = {}): CliResult {
  const r = spawnSync(process.execPath, [cliPath, ...args], { encoding: opts.encoding ?? 'utf8', timeout: opts.timeout ?? 60_000, cwd: opts.cwd });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

/** A failure reported as one line on stderr with the given status, and no stack trace. */
export function expectOneLineError(r: CliResult, re: RegExp, status = 1): void {
  expect(r.status).toBe(status);
  const lines = r.err.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(re);
  expect(r.err).not.toMatch(/\n\s+at /); // no stack trace
}
