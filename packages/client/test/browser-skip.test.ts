// The browser test on a machine without Chromium: skipped with the reason on a dev machine (so
// that the README's test command passes on a fresh clone), failed under CI=true.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';

const BROWSER_TEST = fileURLToPath(new URL('browser.test.ts', import.meta.url));

function runWithoutChromium(ci: boolean): { status: number | null; out: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, BLINDPSEUDO_CHROMIUM: '/nonexistent/chromium' };
  delete env.BLINDPSEUDO_SKIP_BROWSER;
  delete env.NODE_TEST_CONTEXT;
  if (ci) env.CI = 'true';
  else delete env.CI;
  const run = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', '--test', BROWSER_TEST], {
    env,
    encoding: 'utf8',
  });
  return { status: run.status, out: run.stdout };
}

it('skips the browser test with the reason when Chromium is missing', () => {
  const { status, out } = runWithoutChromium(false);
  assert.equal(status, 0, out);
  assert.match(out, /# SKIP \/nonexistent\/chromium is missing/);
  assert.match(out, /# skipped 1/);
});

it('fails the browser test when Chromium is missing under CI=true', () => {
  const { status, out } = runWithoutChromium(true);
  assert.notEqual(status, 0);
  assert.match(out, /\/nonexistent\/chromium is missing/);
  assert.match(out, /# fail 1/);
});
