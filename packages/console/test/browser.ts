/**
 * Browser test support: Debian's Chromium driven by playwright-core (nothing downloaded), a
 * check that no Content-Security-Policy or Trusted Types violation and no page error happened,
 * screenshots, and axe-core run inside the page.
 *
 * Chromium missing: the tests skip with the reason on a developer machine and fail under CI=true.
 * Screenshots go to a temporary folder, or to the folder named by BLINDPSEUDO_CONSOLE_SCREENSHOTS
 * (docs/console-screenshots is regenerated that way).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type BrowserContext, type Page, chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS, chromiumSkip } from '../../../test-support/chromium.ts';

export { CHROMIUM, chromiumSkip };

export interface Browser {
  readonly context: BrowserContext;
  readonly screenshots: string;
  /** Page errors, CSP and Trusted Types violations seen so far. */
  readonly problems: string[];
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

export async function launch(): Promise<Browser> {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`);
  const userDataDir = await mkdtemp(join(tmpdir(), 'blindpseudo-console-chromium-'));
  const named = process.env.BLINDPSEUDO_CONSOLE_SCREENSHOTS;
  const screenshots =
    named === undefined || named === '' ? await mkdtemp(join(tmpdir(), 'blindpseudo-console-shots-')) : resolve(named);
  await mkdir(screenshots, { recursive: true });
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: [...CHROMIUM_ARGS],
  });
  const problems: string[] = [];
  const watch = (page: Page): Page => {
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error' && /Content Security Policy|TrustedHTML|Trusted Type/i.test(m.text()))
        problems.push(`policy violation: ${m.text()}`);
    });
    return page;
  };
  context.on('page', watch);
  return {
    context,
    screenshots,
    problems,
    newPage: async () => context.newPage(),
    close: async () => {
      await context.close();
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}

export async function screenshot(browser: Browser, page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(browser.screenshots, `${name}.png`), fullPage: true });
}

let axeSource: string | undefined;

/**
 * Runs axe-core in the page (evaluated through the DevTools protocol, as the page's CSP allows no
 * injected script) and fails on serious or critical violations, naming them.
 */
export async function assertAccessible(page: Page, name: string): Promise<void> {
  axeSource ??= await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(c: Document, o: object): Promise<{ violations: unknown[] }> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return (result.violations as { id: string; impact: string; help: string; nodes: { target: string[] }[] }[]).map(
      (v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        targets: v.nodes.map((n) => n.target.join(' ')).slice(0, 5),
      }),
    );
  });
  const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(serious, [], `${name}: axe found serious or critical violations`);
}
