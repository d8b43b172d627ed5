/**
 * The client bundled for browsers (esbuild) and run in headless Chromium (Debian's, driven by
 * playwright-core; nothing downloaded): pseudonymize then identify against the real service.
 * The service sends no CORS headers, so the page is served by a small local server that also
 * forwards /pseudo/v1 to the service: the client calls its own origin.
 * Fails when Chromium is missing, unless BLINDPSEUDO_SKIP_BROWSER=1.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { DOMAIN, startService } from './support.js';

const CHROMIUM = '/usr/bin/chromium';
const skip = process.env.BLINDPSEUDO_SKIP_BROWSER === '1';

test('the bundled client pseudonymizes and identifies in headless Chromium', { skip, timeout: 120_000 }, async () => {
  assert.ok(
    existsSync(CHROMIUM),
    `${CHROMIUM} is missing: apt-get install -y chromium (or set BLINDPSEUDO_SKIP_BROWSER=1)`,
  );
  const bundle = await build({
    stdin: {
      contents: "export * from './src/index.ts';",
      resolveDir: fileURLToPath(new URL('..', import.meta.url)),
      loader: 'ts',
    },
    bundle: true,
    platform: 'browser',
    format: 'esm',
    conditions: ['source'],
    write: false,
    logLevel: 'silent',
  });
  const script = bundle.outputFiles[0]!.text;
  assert.ok(!/\bfrom ?["']node:/.test(script), 'the browser bundle imports nothing from node:');

  const service = await startService();
  const page = `<!doctype html><meta charset="utf-8"><title>blindpseudo</title><script type="module">
    import { createClient, formatPseudonymInTransit } from '/client.js';
    window.run = async (domain, value) => {
      const client = createClient({ baseUrls: location.origin + '/pseudo/v1' });
      const transit = await client.pseudonymize(domain, value);
      const text = formatPseudonymInTransit(transit);
      const back = await client.identifyText(domain, text, { cache: false });
      const many = await client.pseudonymizeMany(domain, ['a', 'b', 'c']);
      return { back, ok: many.every((r) => r.ok), hasTransitInfo: text.split(':')[1].split('.').length === 5 };
    };
    window.ready = true;
  </script>`;
  const server = createServer((req, res) => {
    if (req.url === '/') return void res.writeHead(200, { 'content-type': 'text/html' }).end(page);
    if (req.url === '/client.js') return void res.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
    if (req.url?.startsWith('/pseudo/v1/')) {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        const upstream = await fetch(service.origin + req.url, {
          method: req.method,
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          ...(req.method === 'POST' ? { body: Buffer.concat(chunks) } : {}),
        });
        res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
        res.end(Buffer.from(await upstream.arrayBuffer()));
      });
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const userDataDir = await mkdtemp(join(tmpdir(), 'blindpseudo-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  try {
    const tab = await context.newPage();
    const errors: string[] = [];
    tab.on('pageerror', (err) => errors.push(err.message));
    await tab.goto(`${origin}/`);
    await tab.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
    const result = await tab.evaluate(
      ([domain, value]) => (window as unknown as { run(d: string, v: string): Promise<unknown> }).run(domain!, value!),
      [DOMAIN, '85073003328'],
    );
    assert.deepEqual(result, { back: '85073003328', ok: true, hasTransitInfo: true });
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await service.close();
    await rm(userDataDir, { recursive: true, force: true });
  }
});
