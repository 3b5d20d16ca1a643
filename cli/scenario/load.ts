/**
 * Scenario files on disk: read, parse (YAML, or JSON for .json), validate, and resolve image paths
 * (relative to the scenario file's directory first, then to the repository root). Every problem is
 * one ScenarioError line naming the file.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, join, relative, resolve } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { isElf, parseElf64 } from '../../machine/elf';
import type { Scenario } from './schema';
import { Reader, ScenarioError } from './reader';
import { validateScenario, type ImageResolver } from './validate';

export const SCENARIO_EXTS = ['.yaml', '.yml', '.json'];

/** How a path is shown: relative to the working directory when inside it. */
export function shown(p: string): string {
  const rel = relative(process.cwd(), p);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : p;
}

/** The repository root: the nearest directory above `from` holding package.json, else the working directory. */
export function repoRoot(from: string): string {
  for (let d = resolve(from); ; d = dirname(d)) {
    if (existsSync(join(d, 'package.json'))) return d;
    if (dirname(d) === d) return process.cwd();
  }
}

function readText(file: string): string {
  try {
    if (statSync(file).isDirectory()) throw new ScenarioError(`${shown(file)}: is a directory (give a scenario file, or use pkvm-emu test DIR)`);
    return readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof ScenarioError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new ScenarioError(`${shown(file)}: ${code === 'ENOENT' ? 'no such file' : `cannot read (${code})`}`);
  }
}

export function parseText(file: string, text: string): unknown {
  const name = shown(file);
  if (extname(file).toLowerCase() === '.json') {
    try {
      return JSON.parse(text);
    } catch (e) {
      throw new ScenarioError(`${name}: bad JSON: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  try {
    return parseYaml(text, { intAsBigInt: true, uniqueKeys: true });
  } catch (e) {
    if (e instanceof YAMLParseError) {
      const pos = e.linePos?.[0];
      const msg = e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '').replace(/:$/, '');
      throw new ScenarioError(`${name}: bad YAML${pos ? ` at line ${pos.line}, column ${pos.col}` : ''}: ${msg}`);
    }
    throw new ScenarioError(`${name}: bad YAML: ${(e as Error).message.split('\n')[0]}`);
  }
}

function imageResolver(file: string): ImageResolver {
  const dirs = [dirname(resolve(file)), repoRoot(dirname(resolve(file)))];
  return (r: Reader, path: string, written: string) => {
    const candidates = isAbsolute(written) ? [written] : dirs.map((d) => join(d, written));
    const found = candidates.find((c) => existsSync(c));
    if (!found) r.fail(path, `${written}: no such file (looked in ${[...new Set(dirs.map(shown))].map((d) => d || '.').join(' and ')})`);
    if (statSync(found).isDirectory()) r.fail(path, `${written}: is a directory`);
    const bytes = readFileSync(found);
    if (!isElf(bytes)) r.fail(path, `${written}: not an ELF file`);
    try {
      parseElf64(bytes, written);
    } catch (e) {
      r.fail(path, (e as Error).message);
    }
    return { path: found, shown: written };
  };
}

export function loadScenario(file: string): Scenario {
  const doc = parseText(file, readText(file));
  if (doc === null || doc === undefined) throw new ScenarioError(`${shown(file)}: empty scenario file`);
  const base = basename(file, extname(file));
  return validateScenario(shown(file), base, doc, imageResolver(file));
}

/** Scenario files directly in `dir`, sorted by name. */
export function listScenarios(dir: string): string[] {
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new ScenarioError(`${shown(dir)}: not a directory`);
    names = readdirSync(dir);
  } catch (e) {
    if (e instanceof ScenarioError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new ScenarioError(`${shown(dir)}: ${code === 'ENOENT' ? 'no such directory' : `cannot read (${code})`}`);
  }
  return names.filter((n) => SCENARIO_EXTS.includes(extname(n).toLowerCase())).sort().map((n) => join(dir, n));
}
