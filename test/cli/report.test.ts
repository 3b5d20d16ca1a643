// `run SCENARIO --report FILE` (cli/report/) in a real browser: Debian's chromium, headless, driven
// by playwright-core (nothing downloaded; network blocked). The page map's screenshot is decoded and
// each page cell's colour counted; the counts must equal the scenario's own census at the moments
// it took one (after the run action, at the end). A click on a page shows its history.
// Without /usr/bin/chromium (CHROMIUM=path to use another) the browser tests skip with a message.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './run-cli';
import { decodePng } from './png';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`report.test: ${CHROMIUM} not found: the browser tests are skipped (CI installs Debian's chromium)`);

const dir = mkdtempSync(join(tmpdir(), 'pkvm-report-'));
const file = join(dir, 'default.html');
let runOut = '';

beforeAll(() => {
  const r = runCli(['run', 'scenarios/default.yaml', '--report', file], { timeout: 120_000 });
  expect(r.err).toBe('');
  expect(r.status).toBe(0);
  runOut = r.out;
}, 150_000);

/** The census table `label` of the run's text report: row → [OWNED, SHARED_OWNED, SHARED_BORROWED, NOPAGE, POISON]. */
function census(label: string): Map<string, number[]> {
  const start = runOut.indexOf(`pages by owner and state, ${label}:`);
  expect(start).toBeGreaterThanOrEqual(0);
  const m = new Map<string, number[]>();
  for (const l of runOut.slice(start).split('\n').slice(2)) {
    if (!l.startsWith('  ')) break;
    const f = l.trim().split(/\s+/);
    m.set(f[0]!, f.slice(1).map((x) => (x === '-' ? 0 : Number(x))));
  }
  return m;
}

describe('the report file', () => {
  it('is one self-contained HTML file: no external script, style, image or font', () => {
    const html = readFileSync(file, 'utf8');
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).not.toMatch(/<script[^>]+src=/i);
    expect(html).not.toMatch(/<link[^>]+href=/i);
    expect(html).not.toMatch(/url\(|@import|https?:\/\//i);
    expect(html.length).toBeLessThan(1_000_000); // the default scenario's 1000+ transitions, compressed
  });
});

describe.skipIf(!haveChromium)('the report in headless chromium', () => {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let ctx: any, page: any;
  const requests: string[] = [];
  const errors: string[] = [];
  beforeAll(async () => {
    const { chromium } = await import('playwright-core');
    ctx = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'pkvm-chromium-')), {
      executablePath: CHROMIUM, headless: true, viewport: { width: 1400, height: 1100 }, deviceScaleFactor: 1,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = ctx.pages()[0] ?? await ctx.newPage();
    await page.route('**/*', (route: { request(): { url(): string }; abort(): Promise<void>; continue(): Promise<void> }) => {
      const u = route.request().url();
      if (u.startsWith('file:')) return route.continue();
      requests.push(u);
      return route.abort();
    });
    page.on('pageerror', (e: Error) => errors.push(e.message));
    await page.goto(`file://${file}`);
    await page.waitForFunction(() => (window as unknown as { pkvmReport?: unknown }).pkvmReport !== undefined);
  }, 60_000);
  afterAll(async () => { await ctx?.close(); });

  interface Geo { cols: number; cell: number; owners: string[]; states: string[]; colours: Record<string, [number, number, number]>; transitions: number; marks: { label: string; step: number }[]; ramBase: string; nPages: number }
  async function geometry(): Promise<Geo> {
    return page.evaluate(() => {
      const w = window as unknown as { pkvmReport: { cols: number; cell: number; colour(o: number, s: number): number[]; transitions: number } };
      const D = JSON.parse(document.getElementById('report-data')!.textContent!);
      const colours: Record<string, number[]> = {};
      D.owners.forEach((o: string, oi: number) => D.states.forEach((s: string, si: number) => {
        if ((oi === 0) !== (s === 'NOPAGE')) return;
        colours[`${o} ${s}`] = w.pkvmReport.colour(oi, si);
      }));
      return { cols: w.pkvmReport.cols, cell: w.pkvmReport.cell, owners: D.owners, states: D.states, colours, transitions: w.pkvmReport.transitions, marks: D.marks, ramBase: D.ramBase, nPages: D.nPages };
    });
  }

  /** Cells per (owner state) in a screenshot of the page map: each cell's centre pixel. */
  async function cellCounts(g: Geo, cells = g.nPages): Promise<Map<string, number>> {
    const img = decodePng(await page.locator('#grid').screenshot());
    const byColour = new Map(Object.entries(g.colours).map(([k, c]) => [c.join(','), k]));
    const counts = new Map<string, number>();
    for (let i = 0; i < cells; i++) {
      // the element's screenshot includes its 1px border; sample the cell's centre (±1 px of slack)
      const x = 1 + (i % g.cols) * g.cell + (g.cell >> 1), y = 1 + Math.floor(i / g.cols) * g.cell + (g.cell >> 1);
      const o = (y * img.width + x) * 4;
      const key = byColour.get(`${img.rgba[o]},${img.rgba[o + 1]},${img.rgba[o + 2]}`) ?? `unknown ${img.rgba[o]},${img.rgba[o + 1]},${img.rgba[o + 2]}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return counts;
  }
  const n = (m: Map<string, number>, k: string) => m.get(k) ?? 0;

  async function moveSlider(step: number): Promise<void> {
    await page.locator('#slider').fill(String(step));
    await page.waitForFunction((s: number) => (window as unknown as { pkvmReport: { step(): number } }).pkvmReport.step() === s, step);
  }

  it('loads without errors or network requests', () => {
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
  });

  it('at the end of the slider, the page map is the final census', async () => {
    const g = await geometry();
    expect(g.transitions).toBeGreaterThan(1000);
    const c = await cellCounts(g);
    const end = census('at the end');
    expect([...c.keys()].filter((k) => k.startsWith('unknown'))).toEqual([]);
    expect(n(c, 'HOST OWNED')).toBe(end.get('HOST')![0]);
    expect(n(c, 'HOST SHARED_OWNED')).toBe(end.get('HOST')![1]);
    expect(n(c, 'HYP OWNED')).toBe(end.get('HYP')![0]);
    // every VM was torn down: no guest page left
    for (const k of c.keys()) expect(k).toMatch(/^(HOST|HYP) |^nobody NOPAGE$/);
    expect([...c.values()].reduce((a, b) => a + b, 0)).toBe(g.nPages);
  });

  it('moved to the census after the run action, the page map shows each VM\'s pages', async () => {
    const g = await geometry();
    const mark = g.marks.find((m) => m.label === 'after actions[0] (run)')!;
    expect(mark).toBeDefined();
    expect(mark.step).toBeLessThan(g.transitions);
    await moveSlider(mark.step);
    const c = await cellCounts(g);
    const mid = census('after actions[0] (run)');
    expect(n(c, 'pvm1 OWNED')).toBe(mid.get('pvm1')![0]);
    expect(n(c, 'pvm2 OWNED')).toBe(mid.get('pvm2')![0]);
    expect(n(c, 'pvm2 OWNED')).toBeGreaterThanOrEqual(512);
    expect(n(c, 'HOST OWNED')).toBe(mid.get('HOST')![0]);
    expect(n(c, 'HOST SHARED_OWNED')).toBe(mid.get('HOST')![1]); // npvm's pages and the hyp's shared pages
    expect(n(c, 'HYP OWNED')).toBe(mid.get('HYP')![0]);
    // the legend agrees with the screenshot
    const legend = await page.locator('#legend tr[data-key="pvm2 OWNED"] td').nth(2).textContent();
    expect(Number(legend)).toBe(n(c, 'pvm2 OWNED'));
    // and back to the start: only what existed before the VMs (host and hyp pages)
    await moveSlider(0);
    const c0 = await cellCounts(g);
    for (const k of c0.keys()) expect(k).toMatch(/^(HOST|HYP) |^nobody NOPAGE$/);
  });

  it('"only rows with activity" keeps every guest page and drops the untouched host rows', async () => {
    const g = await geometry();
    const mark = g.marks.find((m) => m.label === 'after actions[0] (run)')!;
    await moveSlider(mark.step);
    await page.locator('#activity').check();
    const rows = Number(await page.locator('#grid').getAttribute('data-rows'));
    expect(rows).toBeLessThan(g.nPages / g.cols);
    const c = await cellCounts(g, rows * g.cols);
    const mid = census('after actions[0] (run)');
    expect(n(c, 'pvm2 OWNED')).toBe(mid.get('pvm2')![0]);
    expect(n(c, 'pvm1 OWNED')).toBe(mid.get('pvm1')![0]);
    expect(n(c, 'HYP OWNED')).toBe(mid.get('HYP')![0]);
    await page.locator('#activity').uncheck();
    expect(Number(await page.locator('#grid').getAttribute('data-rows'))).toBe(g.nPages / g.cols);
  });

  it('a click on a page shows its history: donated to pvm2 in the core, reclaimed at teardown', async () => {
    const g = await geometry();
    await moveSlider(g.transitions);
    const pa = BigInt(/read 8 bytes at pvm2 IPA 0x40100000 \(PA (0x[0-9a-f]+)\)/.exec(runOut)![1]!);
    const i = Number((pa - BigInt(g.ramBase)) / 4096n);
    const box = await page.locator('#grid').boundingBox();
    await page.mouse.click(box.x + 1 + (i % g.cols) * g.cell + g.cell / 2, box.y + 1 + Math.floor(i / g.cols) * g.cell + g.cell / 2);
    const title = await page.locator('#history-title').textContent();
    expect(title).toContain(`page 0x${pa.toString(16)}`);
    const rows: string[][] = await page.locator('#history tr').evaluateAll((trs: HTMLTableRowElement[]) => trs.map((tr) => Array.from(tr.cells).map((c) => c.textContent ?? '')));
    expect(rows[0]![3]).toBe('HOST OWNED');
    expect(rows[1]![2]).toBe('donate HOST → pvm2');
    expect(rows[1]![3]).toBe('pvm2 OWNED');
    expect(rows[1]![4]).toMatch(/pvm2 vCPU 0: guest run \(fault fast path\)/);
    expect(rows.at(-1)![2]).toBe('reclaim pvm2 → HOST');
    expect(rows.at(-1)![4]).toMatch(/__pkvm_reclaim_dying_guest_page\(0x1001, /);
    // the run's end under upstream's guest ABI: pguest-hello and toucher read the whole vendor-hyp UID
    // (forwarded to the host KVM, x0..x3 back) and then ask EL2 for FEATURES (no MMIO guard offered)
    expect(rows.at(-1)![1]).toMatch(/^t=301968/);
  });

  it('shows the consoles and the census tables', async () => {
    expect(await page.locator('#consoles').textContent()).toContain('toucher: checksum d2cd09342a95cc88');
    expect(await page.locator('table.census').count()).toBe(2);
  });
});
