/**
 * The Chromium rows of client.bench.ts: the page of browser-page.ts, bundled by esbuild and served
 * from a small local server, in headless Chromium (Debian's; playwright-core drives it). The CPU
 * of a round trip is that of every Chromium process (browser, renderer, network, each thread),
 * read from /proc before and after a run: what a browser spends, WebCrypto's threads included.
 */
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { type Browser, type Page, chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from '../../../test-support/chromium.ts';
import { processCpuMicros } from '../../../test-support/bench-kit.ts';

/** What a Chromium row measures: the client's name in the bench table, and the page's contender. */
export const BROWSER_CONTENDERS: readonly (readonly [string, string])[] = [
  ['Chromium: @blindpseudo/client (default: pure JS)', 'default'],
  ['Chromium: @blindpseudo/client, WebCrypto', 'webCrypto'],
  ['Chromium: @smals-belgium-shared/pseudo-helper', 'official'],
  ['Chromium: fetch + JSON alone (no crypto)', 'floor'],
];

export interface BrowserSample {
  cpuMs: number;
  wallMs: number;
}

export interface BrowserBench {
  /** The page's origin, for the service's `cors.allowedOrigins`. */
  readonly origin: string;
  /** Starts Chromium and loads the page against the service, once. */
  open(baseUrl: string, domain: string): Promise<void>;
  /** n round trips of one contender: CPU of all Chromium processes and wall time, per round trip. */
  measure(contender: string, n: number, tag: string): Promise<BrowserSample>;
  close(): Promise<void>;
}

/** Every process under `root` (its children, theirs, …), from /proc. */
function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
    } catch {
      // the process ended meanwhile
    }
  }
  const out: number[] = [];
  const walk = (pid: number): void => {
    for (const child of children.get(pid) ?? []) {
      out.push(child);
      walk(child);
    }
  };
  walk(root);
  return out;
}

function cpuMicros(pids: readonly number[]): number {
  let total = 0;
  for (const pid of pids) {
    try {
      total += processCpuMicros(pid);
    } catch {
      // the process ended meanwhile
    }
  }
  return total;
}

async function pageScript(): Promise<string> {
  const bundle = await build({
    entryPoints: [fileURLToPath(new URL('browser-page.ts', import.meta.url))],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    conditions: ['source'], // the official helper's `buffer` is its npm polyfill, bundled as its users do
    write: false,
    logLevel: 'silent',
  });
  return bundle.outputFiles[0]!.text;
}

/** Starts the page's server (the service must allow `origin`); `open` starts Chromium. */
export async function startBrowserBench(): Promise<BrowserBench> {
  const script = await pageScript();
  const html =
    '<!doctype html><meta charset="utf-8"><title>bench</title><script type="module" src="/page.js"></script>';
  const server = createServer((req, res) => {
    if (req.url === '/page.js') return void res.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
    res.writeHead(200, { 'content-type': 'text/html' }).end(html);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const isNode = (pid: number): boolean => {
    try {
      return readlinkSync(`/proc/${pid}/exe`) === process.execPath;
    } catch {
      return true; // gone, or not ours to read
    }
  };
  let browser: Browser | undefined;
  let tab: Page | undefined;
  let before = new Set<number>();
  const errors: string[] = [];
  // Chromium's processes: ours, started with it, and not Node (the service's process is Node).
  const chromiumPids = (): number[] => descendants(process.pid).filter((pid) => !before.has(pid) && !isNode(pid));
  type BenchPage = {
    setUp(b: string, d: string): Promise<void>;
    roundTrips(c: string, n: number, t: string): Promise<number>;
  };
  return {
    origin,
    async open(baseUrl, domain) {
      // Launched only now, so that its idle processes do not run beside the Node lines.
      before = new Set(descendants(process.pid));
      browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_ARGS] });
      tab = await browser.newPage();
      tab.on('pageerror', (err) => errors.push(err.message));
      await tab.goto(`${origin}/`);
      await tab
        .waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true, undefined, {
          timeout: 10_000,
        })
        .catch((err: unknown) => {
          throw new Error(`the bench page did not load: ${errors.join('; ') || String(err)}`);
        });
      await tab.evaluate(([b, d]) => (window as unknown as BenchPage).setUp(b!, d!), [baseUrl, domain]);
    },
    async measure(contender, n, tag) {
      const pids = chromiumPids();
      const cpu = cpuMicros(pids);
      const wall = await tab!.evaluate(
        ([c, count, t]) => (window as unknown as BenchPage).roundTrips(c as string, count as number, t as string),
        [contender, n, tag] as const,
      );
      return { cpuMs: (cpuMicros(pids) - cpu) / 1000 / n, wallMs: wall / n };
    },
    async close() {
      await browser?.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
