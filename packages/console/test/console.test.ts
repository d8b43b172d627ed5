/**
 * The operator console in Debian's Chromium against the real service: a non-admin is refused
 * (log-in page, 403 problem, no data); an admin logs in, creates a domain, grants a principal
 * pseudonymize on it and sees that principal's call succeed, revokes it and sees the next call
 * refused, rotates the transit key, finds those actions in the audit page and verifies the
 * chain, watches the traffic chart move while a load runs (items/s, then an enumeration alarm,
 * then quota refusals), is used from the keyboard alone, and sees where the chain breaks once a
 * record is edited. The token lives in sessionStorage only (no cookie, not in the URL). Every page is screenshot and
 * checked with axe-core (no serious or critical violation), and no page error, CSP or Trusted
 * Types violation may happen.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { blind, encodeValue, pointToJson } from '@blindpseudo/core';
import { type TestService, startTestService } from '@blindpseudo/server/testing';
import type { Page } from 'playwright-core';
import { type Browser, assertAccessible, chromiumSkip, launch, screenshot } from './browser.js';
import { eventually } from '../../../test-support/eventually.ts';

const DOMAIN = 'console_v1';
const GP = 'gp-console';
/** The load passes the enumeration threshold, then its daily quota: both charts must move too. */
const LIMITS = { enumerationAlarmItemsPerDay: 300, dailyQuota: { pseudonymize: 1000 } };

/** How many points of a chart's series lie above its zero line (in the page). */
function pointsAbove([chart, series]: [number, number]): number {
  const svg = document.querySelectorAll('svg[data-latest]')[chart];
  const line = svg?.querySelectorAll('polyline')[series];
  const ys = (line?.getAttribute('points') ?? '').split(' ').map((p) => Number(p.split(',')[1]));
  const zero = Math.max(...ys);
  return ys.filter((y) => y < zero - 1).length;
}

/** A pseudonymize call as `token`'s principal; the HTTP status. */
async function pseudonymizeAs(svc: TestService, domain: string, token: string): Promise<number> {
  const b = await blind(encodeValue(`v${Math.random()}`));
  const res = await fetch(`${svc.baseUrl}/domains/${domain}/pseudonymize`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ id: crypto.randomUUID(), crv: 'P-521', ...pointToJson(b.point) }),
  });
  await res.arrayBuffer();
  return res.status;
}

/** A load of pseudonymizeMultiple calls (ten blinded points each) until `stop()`. */
function runLoad(svc: TestService, domain: string, token: string): { stop(): Promise<void> } {
  let running = true;
  const done = (async () => {
    const b = await blind(encodeValue('load'));
    const input = { crv: 'P-521', ...pointToJson(b.point) };
    while (running) {
      const res = await fetch(`${svc.baseUrl}/domains/${domain}/pseudonymizeMultiple`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ id: crypto.randomUUID(), inputs: Array.from({ length: 10 }, () => input) }),
      });
      await res.arrayBuffer();
    }
  })();
  return {
    stop: async () => {
      running = false;
      await done;
    },
  };
}

async function signIn(page: Page, origin: string, token: string): Promise<void> {
  await page.goto(`${origin}/console/`);
  await page.getByLabel('Access token (admin role)').fill(token);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

describe('operator console in Chromium', { skip: chromiumSkip(), timeout: 300_000 }, () => {
  let svc: TestService;
  let browser: Browser;
  let page: Page;
  let admin: string;

  before(async () => {
    svc = await startTestService({
      auth: 'jwt',
      domains: [{ key: 'load_v1', accessRule: { pseudonymize: ['*'] } }],
      principals: [{ id: GP, description: 'GP practice used by the console test' }],
      limits: LIMITS,
    });
    admin = await svc.token('operator', { groups: ['blindpseudo-admin'] });
    browser = await launch();
    page = await browser.newPage();
  });
  after(async () => {
    await browser?.close();
    await svc?.close();
  });

  it('refuses a non-admin: the log-in page and a 403 problem, never data', async () => {
    const user = await svc.token(GP);
    await signIn(page, svc.origin, user);
    await page.getByRole('alert').filter({ hasText: 'not of the admin role' }).waitFor();
    assert.equal(await page.getByRole('navigation', { name: 'Console pages' }).count(), 0);
    assert.equal(await page.locator('table').count(), 0, 'no data table on the log-in page');
    const answer = await page.evaluate(async (token) => {
      const res = await fetch('/admin/v1/domains', { headers: { authorization: `Bearer ${token}` } });
      return { status: res.status, type: res.headers.get('content-type'), body: await res.json() };
    }, user);
    assert.equal(answer.status, 403);
    assert.match(answer.type ?? '', /^application\/problem\+json/);
    assert.deepEqual(Object.keys(answer.body).sort(), ['detail', 'status', 'title', 'type']);
    await screenshot(browser, page, '0-login-refused');
    await assertAccessible(page, 'log-in page');
  });

  it('logs in with an admin token kept out of the URL, and creates a domain', async () => {
    await signIn(page, svc.origin, admin);
    await page.getByRole('navigation', { name: 'Console pages' }).waitFor();
    assert.ok(!page.url().includes(admin.slice(0, 20)), 'the token is not in the URL');
    const kept = await page.evaluate(() => ({
      cookies: document.cookie,
      local: localStorage.length,
      session: Object.keys(sessionStorage),
    }));
    assert.deepEqual(kept, { cookies: '', local: 0, session: ['blindpseudo.console.token'] });
    await page.reload();
    await page.getByRole('navigation', { name: 'Console pages' }).waitFor();
    await page.getByLabel('Domain key').fill(DOMAIN);
    await page.getByLabel('Description').fill('Created from the console');
    await page.getByRole('button', { name: 'Create domain' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `Domain ${DOMAIN} created.` })
      .waitFor();
    await page.getByRole('link', { name: DOMAIN }).waitFor();
    await screenshot(browser, page, '1-domains');
    await assertAccessible(page, 'domains page');
  });

  it('grants pseudonymize to a principal (its call succeeds), then revokes it (the next is refused)', async () => {
    const gp = await svc.token(GP);
    assert.equal(await pseudonymizeAs(svc, DOMAIN, gp), 403, 'default deny before the grant');
    await page.getByRole('link', { name: 'Access' }).click();
    await page.getByLabel('Domain of the matrix').selectOption(DOMAIN);
    const cell = page.getByLabel(`pseudonymize on ${DOMAIN} for principal:${GP}`);
    await cell.click();
    await page.getByText(`Granted pseudonymize on ${DOMAIN} to principal:${GP}.`).waitFor();
    assert.equal(await pseudonymizeAs(svc, DOMAIN, gp), 200);
    assert.equal(await cell.isChecked(), true);
    await screenshot(browser, page, '2-access');
    await assertAccessible(page, 'access page');
    await cell.click();
    await page.getByText(`Revoked pseudonymize on ${DOMAIN} from principal:${GP}.`).waitFor();
    assert.equal(await pseudonymizeAs(svc, DOMAIN, gp), 403);
  });

  it("rotates the domain's transit key and shows its document as clients see it", async () => {
    const before = (
      await svc.app.inject({ url: `/admin/v1/domains/${DOMAIN}`, headers: { authorization: `Bearer ${admin}` } })
    ).json();
    await page.getByRole('link', { name: 'Domains' }).click();
    await page.getByRole('link', { name: DOMAIN }).click();
    await page.getByLabel(`Domain document of ${DOMAIN}`).waitFor();
    await page.getByRole('button', { name: 'Rotate transit key' }).click();
    await page.getByRole('button', { name: 'Confirm rotation' }).click();
    await page.getByText('New active transit key').waitFor();
    const after = (
      await svc.app.inject({ url: `/admin/v1/domains/${DOMAIN}`, headers: { authorization: `Bearer ${admin}` } })
    ).json();
    assert.equal(after.transitKeys.length, before.transitKeys.length + 1);
    await page.getByRole('cell', { name: 'retiring' }).waitFor();
    await screenshot(browser, page, '3-domain');
    await assertAccessible(page, 'domain page');
  });

  it('finds those actions in the audit page and verifies the chain', async () => {
    await page.getByRole('link', { name: 'Audit' }).click();
    await page.getByLabel('Domain').fill(DOMAIN);
    await page.getByRole('button', { name: 'Search' }).click();
    const table = page.locator('table.audit');
    await table.waitFor();
    for (const op of ['admin.createDomain', 'admin.grantAccess', 'admin.revokeAccess', 'admin.rotateTransitKey'])
      await table.getByRole('cell', { name: op, exact: true }).first().waitFor();
    await screenshot(browser, page, '4-audit-search');
    await page.getByLabel('Principal').fill(GP);
    await page.getByLabel('Outcome').selectOption('failure');
    await page.getByRole('button', { name: 'Search' }).click();
    await table.getByRole('cell', { name: 'missingPermission' }).first().waitFor();
    // The earlier results stay on screen until the new ones come: wait for the filtered table.
    const successes = table.getByRole('cell', { name: 'success', exact: true });
    await eventually(10, async () => (await successes.count()) === 0).catch(() => undefined);
    assert.equal(await successes.count(), 0, 'only failures once filtered by outcome');
    await page.getByRole('button', { name: 'Verify the audit chain' }).click();
    await page.getByText(/The chain is intact: \d+ records\./).waitFor();
    await screenshot(browser, page, '4-audit');
    await assertAccessible(page, 'audit page');
  });

  it('watches the traffic chart move while a load runs', async () => {
    await page.getByRole('link', { name: 'Health and traffic' }).click();
    await page.getByText(/reachable, answered in/).waitFor();
    await page.getByText('written to storage every second').waitFor();
    const chart = page.getByRole('img', { name: /Items per second/ });
    await chart.waitFor();
    const token = await svc.token('load-generator');
    const load = runLoad(svc, 'load_v1', token);
    try {
      // Items/s of pseudonymize rise, the enumeration alarm fires, then the quota refuses.
      for (const at of [
        [0, 0], // items per second, pseudonymize
        [3, 0], // enumeration alarms
        [2, 1], // quota and rate refusals
      ] as [number, number][])
        await page.waitForFunction(pointsAbove, at);
      await page.getByText(/^The whole service: the counts of \d+ process(es)? \(workers and instances/).waitFor();
    } finally {
      await load.stop();
    }
    await screenshot(browser, page, '5-health');
    await assertAccessible(page, 'health page');
    assert.deepEqual(browser.problems, []);
  });

  it('is usable from the keyboard alone: sign out, sign in, move between pages', async () => {
    await page.getByRole('button', { name: 'Sign out' }).press('Enter');
    await page.getByText('You signed out.').waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.length), 0, 'signing out forgets the token');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'token');
    await page.keyboard.type(admin);
    await page.keyboard.press('Enter');
    await page.getByRole('navigation', { name: 'Console pages' }).waitFor();
    for (let i = 0; i < 3; i++) await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Audit');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Audit', level: 1 }).waitFor();
    await page.getByLabel('Principal').focus();
    await page.keyboard.type(GP);
    await page.keyboard.press('Enter');
    await page.locator('table.audit').getByRole('cell', { name: GP }).first().waitFor();
  });

  it('shows where the audit chain breaks after a record was edited in the database', async () => {
    const db = new Database(join(svc.dataDir, 'blindpseudo.db'));
    db.prepare("UPDATE audit_records SET record = json_set(record, '$.principal', 'someone-else') WHERE seq = 3").run();
    db.close();
    await page.getByRole('link', { name: 'Audit' }).click();
    await page.getByRole('button', { name: 'Verify the audit chain' }).click();
    await page.getByText(/The chain is broken: \d+ finding\(s\)\./).waitFor();
    const findings = page.getByRole('list', { name: 'Where the chain breaks' });
    await findings.getByText('record 3 was changed').waitFor();
    await findings.getByRole('button', { name: 'Show records from 1' }).click();
    await page.locator('table.audit').getByRole('cell', { name: 'someone-else' }).waitFor();
    await screenshot(browser, page, '6-audit-broken');
    await assertAccessible(page, 'audit page with a broken chain');
    assert.deepEqual(browser.problems, []);
  });
});
