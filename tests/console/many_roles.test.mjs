// The console stays fast with 1,000 roles (the list pages on the server) and
// with the whole managed catalog in the attach filter (filtered in the
// browser over a compact list, drawing at most 50 rows).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, newPage, iam, screenshots, serviceTrust } from './harness.mjs';

let server;
let browser;
const problems = [];
const shot = screenshots('many-roles');
const N = 1000;
const SERVICES = ['ec2.amazonaws.com', 'lambda.amazonaws.com', 'ecs-tasks.amazonaws.com', 'ssm.amazonaws.com'];
const name = (i) => `app-${String(i).padStart(4, '0')}`;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  const calls = [];
  for (let i = 1; i <= N; i++) {
    calls.push({
      op: 'create_role',
      quiet: true,
      args: {
        RoleName: name(i),
        Path: i % 10 === 0 ? '/service-role/' : '/',
        AssumeRolePolicyDocument: serviceTrust(SERVICES[i % SERVICES.length]),
      },
    });
  }
  const started = Date.now();
  const results = iam(server.url, calls);
  assert.equal(results.filter((r) => r.ok).length, N, JSON.stringify(results.find((r) => r.error)));
  console.log(`# created ${N} roles through the API in ${Date.now() - started} ms`);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** Server time of the last navigation, in ms. */
const serverMs = (page) => page.evaluate(() => {
  const n = performance.getEntriesByType('navigation')[0];
  return n.responseEnd - n.requestStart;
});

const rowNames = (page) => page.locator('#roles-table tbody tr td:first-child').allTextContents();

test('the roles list pages, searches, filters and sorts 1,000 roles', async () => {
  const page = await newPage(browser, problems);
  await page.goto(`${server.url}/console`);
  assert.equal(await page.locator('#stat-roles').textContent(), '1,000');
  await page.goto(`${server.url}/console/roles`);
  const ms = await serverMs(page);
  console.log(`# roles list, page 1 of 20: ${ms.toFixed(1)} ms`);
  assert.ok(ms < 1500, `roles list took ${ms} ms`);
  assert.equal(await page.locator('#roles-table tbody tr').count(), 50);
  assert.match(await page.locator('.pager-info').textContent(), /^1–50 of 1,000$/);
  assert.match(await page.locator('h1').textContent(), /Roles \(1,000\)/);
  const html = await page.content();
  assert.ok(html.length < 150_000, `page 1 is ${html.length} bytes`);
  await shot(page, 'roles-page-1');

  // Next page, then the last page.
  await page.getByRole('link', { name: 'Next ›' }).click();
  await page.waitForURL(/page=2/);
  assert.deepEqual((await rowNames(page)).slice(0, 2), [name(51), name(52)]);
  await page.getByRole('link', { name: '20', exact: true }).click();
  await page.waitForURL(/page=20/);
  assert.equal(await page.locator('#roles-table tbody tr').count(), 50);
  assert.equal((await rowNames(page)).at(-1), name(1000));
  await shot(page, 'roles-page-20');

  // Filter as you type.
  await page.goto(`${server.url}/console/roles`);
  const t0 = Date.now();
  await page.fill('#role-search', 'app-0999');
  await page.waitForFunction(() => document.querySelectorAll('#roles-table tbody tr').length === 1);
  console.log(`# search as you type: ${Date.now() - t0} ms (incl. 180 ms debounce)`);
  assert.deepEqual(await rowNames(page), [name(999)]);
  await shot(page, 'roles-search');

  // Path filter: every tenth role is under /service-role/.
  await page.fill('#role-search', '');
  await page.selectOption('#role-path', '/service-role/');
  await page.waitForFunction(() => /of 100$/.test(document.querySelector('.pager-info').textContent));
  assert.ok((await page.locator('#roles-table tbody td:nth-child(2)').allTextContents()).every((p) => p === '/service-role/'));
  await shot(page, 'roles-path-filter');

  // Trusted entities are searchable too.
  await page.selectOption('#role-path', '');
  await page.fill('#role-search', 'AWS Service: lambda');
  await page.waitForFunction(() => /of 250$/.test(document.querySelector('.pager-info')?.textContent || ''));

  // Sort by creation date, newest first, 100 rows a page.
  await page.goto(`${server.url}/console/roles?sort=created&order=desc&size=100`);
  assert.equal(await page.locator('#roles-table tbody tr').count(), 100);
  assert.equal((await rowNames(page))[0], name(1000));
  assert.match(await page.locator('.pager-info').textContent(), /^1–100 of 1,000$/);
  await page.getByRole('link', { name: /Role name/ }).click();
  await page.waitForURL((u) => !u.search.includes('sort=created'));
  assert.equal((await rowNames(page))[0], name(1));
  await shot(page, 'roles-sorted');
  assert.deepEqual(problems, []);
  await page.context().close();
});

test('the attach filter covers the whole managed catalog and answers at once', async () => {
  const page = await newPage(browser, problems);
  await page.goto(`${server.url}/console/roles/${name(7)}/attach`);
  await page.waitForSelector('[data-policy-picker][data-ready="true"]');
  const ms = await serverMs(page);
  console.log(`# attach page with the whole catalog: ${ms.toFixed(1)} ms`);
  const total = Number((await page.locator('[data-picker-total]').textContent()).replace(/,/g, ''));
  assert.ok(total >= 1500, `only ${total} policies offered`);
  assert.equal(await page.locator('[data-picker-rows] tr').count(), 50);
  await shot(page, 'attach-whole-catalog');
  // Time from a keystroke to the redrawn rows, measured in the page.
  const elapsed = await page.evaluate(() => new Promise((done) => {
    const input = document.getElementById('policy-filter');
    const rows = document.querySelector('[data-picker-rows]');
    const start = performance.now();
    new MutationObserver((_, obs) => { obs.disconnect(); done(performance.now() - start); })
      .observe(rows, { childList: true });
    input.value = 'ReadOnly';
    input.dispatchEvent(new Event('input'));
  }));
  console.log(`# attach filter redraw: ${elapsed.toFixed(1)} ms (incl. 40 ms debounce)`);
  assert.ok(elapsed < 400, `filtering took ${elapsed} ms`);
  const names = await page.locator('[data-picker-rows] tr td:nth-child(2) a').allTextContents();
  assert.ok(names.length > 0 && names.every((n) => n.toLowerCase().includes('readonly')), names.join());
  await page.selectOption('#policy-type', 'job');
  await page.waitForFunction(() => /matching/.test(document.querySelector('[data-picker-info]').textContent));
  assert.ok((await page.locator('[data-picker-rows] tr td:nth-child(3)').allTextContents()).every((t) => t.includes('job function')));
  await shot(page, 'attach-filtered');
  assert.deepEqual(problems, []);
  await page.context().close();
});

test('the policies list pages over the catalog and filters by type', async () => {
  const page = await newPage(browser, problems);
  await page.goto(`${server.url}/console/policies`);
  assert.equal(await page.locator('#policies-table tbody tr').count(), 50);
  const count = Number((await page.locator('h1 .count').textContent()).replace(/[(),]/g, ''));
  assert.ok(count >= 1500);
  await page.getByRole('link', { name: 'Next ›' }).click();
  await page.waitForURL(/page=2/);
  await shot(page, 'policies-page-2');
  await page.selectOption('#policy-type-filter', 'customer');
  await page.waitForFunction(() => /No policies match/.test(document.querySelector('#policies-table').textContent));
  await page.selectOption('#policy-type-filter', 'job');
  await page.waitForFunction(() => document.querySelectorAll('#policies-table tbody tr').length > 3);
  assert.ok((await page.locator('#policies-table tbody td:nth-child(2)').allTextContents()).every((t) => t.includes('job function')));
  await shot(page, 'policies-job-functions');
  assert.deepEqual(problems, []);
  await page.context().close();
});
