// Every user-controlled value is escaped: role names (AWS's pattern still
// allows + = , . @), paths (any printable ASCII but space), descriptions,
// tags, trust and inline policy JSON, customer policy descriptions and
// documents. Hostile values are created through the API and typed into the
// wizard; on every page nothing may run (window.__pwned stays unset, no
// dialog, no injected element or event-handler attribute) and the raw text
// must appear as text.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, newPage, iam, iam1, screenshots } from './harness.mjs';

let server;
let browser;
const problems = [];
const shot = screenshots('escaping');

const NAME = 'x+y=z,a.b@c-d_e';
const PATH = '/"><img/src=x/onerror=window.__pwned=5>/';
const DESCRIPTION = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">" onmouseover="window.__pwned=3';
const EXTERNAL_ID = '</script><script>window.__pwned=6</script>';
const POLICY_DESCRIPTION = '</script><script>window.__pwned=9</script>\'"><img src=x onerror=window.__pwned=13>';
const CONDITION_VALUE = '</pre><script>window.__pwned=7</script>';
const INLINE_ACTION = 's3:<img src=x onerror=window.__pwned=12>';
const TAG = { Key: 'javascript:alert', Value: 'x=onmouseover=alert@1' };

const trust = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'sts:ExternalId': EXTERNAL_ID } } }],
});
const customer = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*', Condition: { StringEquals: { 'aws:PrincipalTag/x': CONDITION_VALUE } } }],
});

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  const results = iam(server.url, [
    { op: 'create_role', args: { RoleName: NAME, Path: PATH, Description: DESCRIPTION, AssumeRolePolicyDocument: trust, Tags: [TAG] } },
    { op: 'create_policy', args: { PolicyName: 'hostile-policy', Description: POLICY_DESCRIPTION, PolicyDocument: customer } },
    { op: 'put_role_policy', args: { RoleName: NAME, PolicyName: 'inline+hostile', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: INLINE_ACTION, Resource: '*' }] }) } },
    { op: 'attach_role_policy', args: { RoleName: NAME, PolicyArn: 'arn:aws:iam::123456789012:policy/hostile-policy' } },
  ]);
  for (const r of results) assert.ok(r.ok, JSON.stringify(r));
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** Nothing ran and nothing was injected. */
async function assertInert(page, where) {
  const state = await page.evaluate(() => ({
    pwned: window.__pwned,
    injected: document.querySelectorAll('img[src="x"], svg [onload], script:not([src]):not([type="application/json"])').length,
    handlers: Array.from(document.querySelectorAll('*')).flatMap((e) => Array.from(e.attributes).map((a) => a.name)).filter((n) => n.startsWith('on')),
  }));
  assert.equal(state.pwned, undefined, `${where}: a payload ran`);
  assert.equal(state.injected, 0, `${where}: an element was injected`);
  assert.deepEqual(state.handlers, [], `${where}: an event-handler attribute was injected`);
}

/** `text` appears in the page as text. */
async function assertShows(page, text, where) {
  const body = await page.evaluate(() => document.body.innerText + '\n' + Array.from(document.querySelectorAll('textarea, input')).map((e) => e.value).join('\n'));
  assert.ok(body.includes(text), `${where}: ${JSON.stringify(text)} is not shown as text`);
}

const roleUrl = () => `${server.url}/console/roles/${encodeURIComponent(NAME)}`;

test('hostile values from the API render as text on every page', async () => {
  const page = await newPage(browser, problems);
  const visit = async (url, label, ...texts) => {
    await page.goto(url);
    await assertInert(page, label);
    for (const t of texts) await assertShows(page, t, label);
    await shot(page, label);
  };
  await visit(`${server.url}/console/roles`, 'roles-list', NAME, PATH);
  await page.fill('#role-search', 'onerror');
  await page.waitForFunction(() => document.querySelectorAll('#roles-table tbody tr').length === 1);
  await assertInert(page, 'roles-search');
  await visit(roleUrl(), 'role-permissions', NAME, DESCRIPTION, `arn:aws:iam::123456789012:role${PATH}${NAME}`, 'inline+hostile', 'hostile-policy');
  assert.equal(await page.locator('#role-description').textContent(), DESCRIPTION);
  // Open every policy's JSON.
  for (const d of await page.locator('details.json').all()) await d.evaluate((e) => { e.open = true; });
  await assertShows(page, CONDITION_VALUE, 'role-permissions-json');
  await assertShows(page, INLINE_ACTION, 'role-permissions-json');
  await assertInert(page, 'role-permissions-json');
  await shot(page, 'role-permissions-json');
  await visit(`${roleUrl()}?tab=trust`, 'role-trust', EXTERNAL_ID);
  await visit(`${roleUrl()}?tab=tags`, 'role-tags', TAG.Key, TAG.Value);
  await visit(`${roleUrl()}/edit`, 'role-edit', DESCRIPTION);
  await visit(`${roleUrl()}/trust`, 'role-trust-editor', EXTERNAL_ID);
  await page.fill('#policy-document', trust.replace(EXTERNAL_ID, `${EXTERNAL_ID}<b>changed</b>`));
  await page.waitForFunction(() => /line\(s\) added/.test(document.querySelector('#policy-diff').textContent));
  await assertInert(page, 'role-trust-diff');
  await assertShows(page, `${EXTERNAL_ID}<b>changed</b>`, 'role-trust-diff');
  await shot(page, 'role-trust-diff');
  await visit(`${roleUrl()}/inline?name=${encodeURIComponent('inline+hostile')}`, 'role-inline-editor', INLINE_ACTION);
  await visit(`${roleUrl()}/delete`, 'role-delete', NAME);

  // The attach picker carries the customer policy (description included) as
  // JSON data; the hostile role has it attached already, so use another role.
  const other = iam1(server.url, 'create_role', { RoleName: 'plain', AssumeRolePolicyDocument: trust }).Role.RoleName;
  await page.goto(`${server.url}/console/roles/${other}/attach`);
  await page.waitForSelector('[data-policy-picker][data-ready="true"]');
  await page.fill('#policy-filter', 'hostile');
  await page.waitForFunction(() => document.querySelectorAll('[data-picker-rows] tr').length === 1);
  await assertShows(page, POLICY_DESCRIPTION, 'attach-picker');
  await page.getByRole('button', { name: 'JSON' }).click();
  await page.waitForFunction(() => document.querySelector('tr.json-row')?.textContent.includes('window.__pwned=7'));
  await assertShows(page, CONDITION_VALUE, 'attach-picker-json');
  await assertInert(page, 'attach-picker');
  await shot(page, 'attach-picker');

  const policyUrl = `${server.url}/console/policies/view?arn=${encodeURIComponent('arn:aws:iam::123456789012:policy/hostile-policy')}`;
  await visit(`${server.url}/console/policies?type=customer`, 'policies-list', POLICY_DESCRIPTION);
  await visit(policyUrl, 'policy-permissions', POLICY_DESCRIPTION, CONDITION_VALUE);
  await visit(`${policyUrl}&tab=entities`, 'policy-entities', NAME);
  await visit(`${policyUrl}&tab=versions`, 'policy-versions', CONDITION_VALUE);
  // Reflected input: query parameters and path segments.
  await visit(`${server.url}/console/roles?q=${encodeURIComponent('"><script>window.__pwned=20</script>')}`, 'reflected-search', '"><script>window.__pwned=20</script>');
  await page.goto(`${server.url}/console/roles/${encodeURIComponent('<script>window.__pwned=21</script>')}`);
  await assertInert(page, 'reflected-role-name');
  await page.goto(`${server.url}/console/roles?done=deleted&role=${encodeURIComponent('<img src=x onerror=window.__pwned=22>')}`);
  await assertInert(page, 'reflected-notice');
  assert.deepEqual(problems.filter((p) => !/status of 40[04]/.test(p)), []);
  problems.length = 0;
  await page.context().close();
});

test('hostile values typed into the wizard are escaped when reviewed and after creation', async () => {
  const page = await newPage(browser, problems);
  await page.goto(`${server.url}/console/create-role`);
  await page.getByRole('radio', { name: /^Custom trust policy/ }).check();
  await page.fill('#custom-trust', trust);
  await page.waitForSelector('#policy-status .valid');
  await Promise.all([page.waitForNavigation(), page.click('#wizard-next')]);
  await page.waitForSelector('[data-policy-picker][data-ready="true"]');
  await Promise.all([page.waitForNavigation(), page.click('#wizard-next')]);
  await page.fill('#role-name', 'typed-hostile');
  await page.fill('#role-description', DESCRIPTION);
  await page.fill('#tag-key-0', TAG.Key);
  await page.fill('#tag-value-0', TAG.Value);
  await assertInert(page, 'wizard-review');
  await assertShows(page, EXTERNAL_ID, 'wizard-review');
  await shot(page, 'wizard-review');
  // A markup value where AWS's tag pattern forbids it is refused, with the value escaped in the message.
  await page.fill('#tag-value-0', '<img src=x onerror=window.__pwned=30>');
  await page.click('#create-role-submit');
  await page.locator('.alert.error').waitFor();
  assert.match(await page.locator('.alert.error').textContent(), /tags\.1\.member\.value/);
  await assertInert(page, 'wizard-refused');
  await shot(page, 'wizard-refused');
  assert.equal(await page.locator('#role-description').inputValue(), DESCRIPTION);
  await page.fill('#tag-value-0', TAG.Value);
  await Promise.all([page.waitForURL(/done=created/), page.click('#create-role-submit')]);
  const role = iam1(server.url, 'get_role', { RoleName: 'typed-hostile' }).Role;
  assert.equal(role.Description, DESCRIPTION);
  assert.deepEqual(role.Tags, [TAG]);
  await page.goto(`${server.url}/console/roles/typed-hostile`);
  await assertInert(page, 'wizard-created');
  assert.equal(await page.locator('#role-description').textContent(), DESCRIPTION);
  await shot(page, 'wizard-created');
  assert.deepEqual(problems.filter((p) => !/status of 400/.test(p)), []);
  await page.context().close();
});

test('forms without the console cookie and its token are refused', async () => {
  const post = (path, headers, body) => fetch(`${server.url}${path}`, {
    method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body,
  });
  // No cookie at all.
  let r = await post(`/console/roles/plain/tags`, {}, 'key=k&value=v');
  assert.equal(r.status, 403);
  // A real cookie and token from a page, then a forged token.
  const page = await fetch(`${server.url}/console/roles/plain`);
  const cookie = page.headers.get('set-cookie').split(';')[0];
  assert.match(page.headers.get('set-cookie'), /HttpOnly/);
  assert.match(page.headers.get('set-cookie'), /SameSite=Strict/);
  const token = /name="csrf-token" content="([0-9a-f]+)"/.exec(await page.text())[1];
  r = await post(`/console/roles/plain/tags`, { cookie }, `key=k&value=v&_csrf=${'0'.repeat(64)}`);
  assert.equal(r.status, 403);
  // Another site's form, even with the right token.
  r = await post(`/console/roles/plain/tags`, { cookie, origin: 'http://evil.example' }, `key=k&value=v&_csrf=${token}`);
  assert.equal(r.status, 403);
  // The JSON endpoint needs the token too.
  r = await fetch(`${server.url}/console/api/validate`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: '{"document":"{}"}' });
  assert.equal(r.status, 403);
  assert.deepEqual(iam1(server.url, 'list_role_tags', { RoleName: 'plain' }).Tags, []);
  // The console's own form goes through.
  r = await post(`/console/roles/plain/tags`, { cookie }, `key=k&value=v&_csrf=${token}`);
  assert.equal(r.status, 303);
  assert.deepEqual(iam1(server.url, 'list_role_tags', { RoleName: 'plain' }).Tags, [{ Key: 'k', Value: 'v' }]);
});
