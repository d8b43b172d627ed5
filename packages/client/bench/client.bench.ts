/**
 * Client-side CPU per pseudonymize round trip (encode, blind, HTTP + JSON, unblind), for our
 * client and for the official eHealth JS helper, side by side against the same local service.
 * The service runs in a child process, so this process's CPU time is the client's alone. The Node
 * lines then send the same request with no crypto (a fixed point), by the client's Node exchange
 * (HTTP/1.1 on kept-alive sockets, its default in Node) and by `fetch`: the transports' floors.
 *
 * The Chromium lines (browser-rows.ts) are the browser path: our client with its default (pure
 * JS), on the browser's WebCrypto ECDH, and the official helper, in headless Chromium, with the CPU of
 * every Chromium process; their ratio is to the official helper in Chromium. Without Chromium
 * (or with BENCH_BROWSER=0) they are left out, saying so.
 *
 *     npm run bench:client            (BENCH_N=200 for more round trips per run)
 */
import { existsSync } from 'node:fs';
import { GENERATOR, pointToJson, webCryptoMultiplier } from '@blindpseudo/core';
import { loadNativeMultiplier, nativePointSearch } from '@blindpseudo/native-multiplier';
import { createClient } from '../src/index.js';
import { nodeExchange } from '../src/node-exchange.js';
import { loadOfficialHelper, officialHttpClient } from '../../../test-support/official-helper.ts';
import { startServiceProcess } from '../../../test-support/service-process.ts';
import {
  multiplicationMicros,
  recordFigures,
  sampleYardstick,
  yardstickFigure,
  yardstickNote,
} from '../../../test-support/bench-kit.ts';
import { CHROMIUM } from '../../../test-support/chromium.ts';
import { BROWSER_CONTENDERS, type BrowserBench, startBrowserBench } from './browser-rows.ts';

process.noDeprecation = true; // the official helper's bn.js uses Buffer()
const DOMAIN = 'bench_v1';
const N = Number(process.env.BENCH_N ?? 100);
const ROUNDS = 3;
const WARM_UP_MS = 2000;

interface Sample {
  cpuMs: number;
  wallMs: number;
}

async function measure(run: (value: string) => Promise<unknown>, tag: string): Promise<Sample> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  for (let i = 0; i < N; i++) await run(`${tag}-${i}-${Math.random().toString(36).slice(2, 10)}`);
  const used = process.cpuUsage(cpu);
  return { cpuMs: (used.user + used.system) / 1000 / N, wallMs: (performance.now() - start) / N };
}

sampleYardstick();
const browserSkip =
  process.env.BENCH_BROWSER === '0' ? 'BENCH_BROWSER=0' : existsSync(CHROMIUM) ? undefined : `no ${CHROMIUM}`;
const browser: BrowserBench | undefined = browserSkip === undefined ? await startBrowserBench() : undefined;
const service = await startServiceProcess([DOMAIN], browser && { cors: { allowedOrigins: [browser.origin] } });
try {
  const official = await loadOfficialHelper();
  const ours = createClient({ baseUrls: service.baseUrl, cache: false });
  const document = await ours.getDomain(DOMAIN);
  const theirs = new official.PseudonymisationHelper(officialHttpClient(service.baseUrl)).createDomain(
    DOMAIN,
    official.Curve.P521,
    document.audience,
    document.bufferSize,
  );
  const contenders: [string, (v: string) => Promise<unknown>][] = [
    ['@blindpseudo/client', (v) => ours.pseudonymize(DOMAIN, v)],
    ['@smals-belgium-shared/pseudo-helper', (v) => theirs.valueFactory.fromString(v).pseudonymize()],
  ];
  // In Node the client can take the native multiplier (process CPU time counts its thread pool),
  // set up as the client's README advises: a lone multiplication on the calling thread.
  const native = loadNativeMultiplier({ lone: 'caller' });
  if (native !== undefined) {
    const oursNative = createClient({
      baseUrls: service.baseUrl,
      cache: false,
      multiplier: native,
      pointSearch: nativePointSearch()!,
    });
    contenders.push(['@blindpseudo/client + native multiplier', (v) => oursNative.pseudonymize(DOMAIN, v)]);
  }
  // The WebCrypto multiplier on Node's WebCrypto: Node's OpenSSL has a generic P-521, so this is
  // slower than pure JS here; the Chromium lines are the browser's.
  const oursWebCrypto = createClient({ baseUrls: service.baseUrl, cache: false, multiplier: webCryptoMultiplier });
  contenders.push(["@blindpseudo/client + Node's WebCrypto", (v) => oursWebCrypto.pseudonymize(DOMAIN, v)]);
  // The floors under every contender: the same request and its JSON read, no crypto.
  const url = `${service.baseUrl}/domains/${DOMAIN}/pseudonymize`;
  const fixedBody = { crv: 'P-521', ...pointToJson(GENERATOR) };
  const exchange = nodeExchange()!;
  contenders.push([
    'Node exchange + JSON alone (no crypto)',
    async () => {
      const body = JSON.stringify({ id: globalThis.crypto.randomUUID(), ...fixedBody });
      const headers = { 'content-type': 'application/json' };
      return JSON.parse((await exchange({ url, method: 'POST', headers, body }, undefined, 10_000)).text) as unknown;
    },
  ]);
  contenders.push([
    'fetch + JSON alone (no crypto)',
    async () => {
      const body = JSON.stringify({ id: globalThis.crypto.randomUUID(), ...fixedBody });
      const headers = { 'content-type': 'application/json' };
      return JSON.parse(await (await fetch(url, { method: 'POST', headers, body })).text()) as unknown;
    },
  ]);
  // Warm-up until the JIT has settled (about 2 s or 500 round trips each, at least 10; the same in
  // Chromium): the figures are a long-running client's steady state, not its first calls' compiling.
  for (const [, run] of contenders) {
    const until = performance.now() + WARM_UP_MS;
    for (let i = 0; i < 500 && (i < 10 || performance.now() < until); i++) await run(`warm-${i}`);
  }
  const best = new Map<string, Sample>();
  const keep = (name: string, sample: Sample): void => {
    const previous = best.get(name);
    if (previous === undefined || sample.cpuMs < previous.cpuMs) best.set(name, sample);
  };
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, run] of contenders) keep(name, await measure(run, `r${round}`));
  }
  sampleYardstick(); // between the Node and the Chromium rows too: this machine's speed drifts
  if (browser !== undefined) {
    await browser.open(service.baseUrl, DOMAIN);
    for (const [, contender] of BROWSER_CONTENDERS) {
      const until = performance.now() + WARM_UP_MS;
      for (let i = 0; i < 50 && (i < 1 || performance.now() < until); i++) await browser.measure(contender, 10, 'warm');
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, contender] of BROWSER_CONTENDERS) keep(name, await browser.measure(contender, N, `r${round}`));
    }
  }
  const mult = multiplicationMicros();
  console.log(`pseudonymize round trips, client side, best of ${ROUNDS} runs of ${N} (service in another process)`);
  console.log(`${yardstickNote()} = ${mult.toFixed(0)} µs\n`);
  recordFigures([yardstickFigure('client')]);
  console.log(
    `${'client'.padEnd(52)} ${'CPU ms/op'.padStart(10)} ${'multiplications'.padStart(16)} ${'wall ms/op'.padStart(11)} ${'CPU vs official'.padStart(16)}`,
  );
  const rows: [string, Sample][] = contenders.map(([name]) => [name, best.get(name)!]);
  report(rows, best.get(contenders[1]![0])!, mult);
  if (browser === undefined) console.log(`(Chromium lines left out: ${browserSkip})`);
  else
    report(
      BROWSER_CONTENDERS.map(([name]) => [name, best.get(name)!]),
      best.get(BROWSER_CONTENDERS[2]![0])!,
      mult,
    );
} finally {
  await service.stop();
  await browser?.close();
}

/** Prints and records rows, with their CPU as a ratio to `baseline`'s (the official helper's). */
function report(rows: readonly [string, Sample][], baseline: Sample, mult: number): void {
  for (const [name, s] of rows) {
    const multiplications = (s.cpuMs * 1000) / mult;
    const versusOfficial = s.cpuMs / baseline.cpuMs;
    console.log(
      `${name.padEnd(52)} ${s.cpuMs.toFixed(2).padStart(10)} ${multiplications.toFixed(1).padStart(16)} ${s.wallMs.toFixed(2).padStart(11)} ${`${versusOfficial.toFixed(2)}×`.padStart(16)}`,
    );
    recordFigures([
      {
        bench: 'client',
        figure: `${name}: CPU per pseudonymize round trip`,
        value: Number(s.cpuMs.toFixed(3)),
        unit: 'ms',
        ratio: Number(multiplications.toFixed(2)),
        ratioUnit: 'multiplications',
      },
      {
        bench: 'client',
        figure: `${name}: CPU vs the official helper`,
        value: Number(versusOfficial.toFixed(3)),
        unit: '×',
      },
    ]);
  }
}
