// The console with authentication enforced (`--auth enforce`): it signs in
// (an IAM user with its password, the root user with a root access key),
// keeps the session in an HttpOnly SameSite cookie, and performs each
// action as that principal with the API's own authorization — a user
// allowed only to read roles sees them but cannot attach a policy, the root
// user can. Also: permissions boundaries and customer managed policies edited
// in the console. Every result is checked through the IAM API with boto3.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, newPage, iam, iam1, screenshots, serviceTrust, SSM_CORE_ARN } from './harness.mjs';

const ROOT_ID = 'AKIACONSOLEROOT00001';
const ROOT_SECRET = 'console-root-secret-for-tests';
const ROOT = `${ROOT_ID}:${ROOT_SECRET}`;
const PASSWORD = 'Reader-Passw0rd-123';
const READ_ONLY_ROLES = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['iam:GetRole', 'iam:ListRoles', 'iam:ListPolicies', 'iam:GetPolicy', 'iam:GetPolicyVersion'], Resource: '*' }],
});

let server;
let browser;
let account;
const problems = [];
const shot = screenshots('sign-in');

before(async () => {
  server = await startServer(['--auth', 'enforce', '--root-access-key', ROOT]);
  browser = await launchBrowser();
  const calls = [
    { op: 'create_role', args: { RoleName: 'ecsAnywhereRole', AssumeRolePolicyDocument: serviceTrust('ssm.amazonaws.com') }, quiet: true },
    { op: 'create_user', args: { UserName: 'reader' }, quiet: true },
    { op: 'put_user_policy', args: { UserName: 'reader', PolicyName: 'read-roles', PolicyDocument: READ_ONLY_ROLES }, quiet: true },
    { op: 'create_login_profile', args: { UserName: 'reader', Password: PASSWORD }, quiet: true },
  ];
  for (const r of iam(server.url, calls, ROOT)) assert.ok(r.ok, JSON.stringify(r));
  account = iam1(server.url, 'get_user', { UserName: 'reader' }, ROOT).User.Arn.split(':')[4];
});

after(async () => {
  await browser?.close();
  await server?.stop();
  // A refused sign-in (401) and a denied action (400) are pages the browser
  // reports as failed loads; anything else is a problem.
  const expected = /Failed to load resource: the server responded with a status of 40[01]/;
  assert.deepEqual(problems.filter((p) => !expected.test(p)), []);
});

async function signInAsUser(page, password) {
  await page.fill('#user-account', account);
  await page.fill('#user-name', 'reader');
  await page.fill('#user-password', password);
  await page.click('#user-sign-in');
}

test('an IAM user signs in with its password and may do only what its policies allow', async () => {
  const page = await newPage(browser, problems);
  // A stranger is sent to the sign-in page, and back where it was going afterwards.
  await page.goto(`${server.url}/console/roles/ecsAnywhereRole`);
  await page.waitForURL(/\/console\/signin\?next=/);
  await shot(page, 'sign-in-page');
  await signInAsUser(page, 'not-the-Passw0rd');
  await page.locator('.alert.error').waitFor();
  assert.match(await page.locator('.alert.error').textContent(), /Your authentication information is incorrect\. Please try again\./);
  await shot(page, 'wrong-password');
  await signInAsUser(page, PASSWORD);
  await page.waitForURL(/\/console\/roles\/ecsAnywhereRole$/);
  assert.equal(await page.locator('#signed-in-as b').textContent(), `arn:aws:iam::${account}:user/reader`);
  await shot(page, 'signed-in-role-page');

  // The session cookie is HttpOnly and SameSite=Strict: no script can read it.
  const cookies = await page.context().cookies();
  const session = cookies.find((c) => c.name === 'ironiam_session');
  assert.ok(session, JSON.stringify(cookies));
  assert.equal(session.httpOnly, true);
  assert.equal(session.sameSite, 'Strict');
  assert.equal(await page.evaluate(() => document.cookie.includes('ironiam_session')), false);

  // Attaching is not allowed by the user's policies: AWS's AccessDenied.
  await page.click('#attach-policies');
  await page.waitForSelector('[data-policy-picker][data-ready="true"]');
  await page.fill('#policy-filter', 'AmazonSSMManagedInstanceCore');
  await page.waitForFunction(() => document.querySelectorAll('[data-picker-rows] tr').length === 1);
  await page.getByRole('checkbox', { name: 'Select AmazonSSMManagedInstanceCore' }).check();
  await page.click('#attach-submit');
  await page.locator('.alert.error').waitFor();
  const denial = await page.locator('.alert.error').textContent();
  assert.ok(denial.includes(`User: arn:aws:iam::${account}:user/reader is not authorized to perform: iam:AttachRolePolicy on resource: `
    + `arn:aws:iam::${account}:role/ecsAnywhereRole because no identity-based policy allows the iam:AttachRolePolicy action`), denial);
  await shot(page, 'attach-denied');
  const attached = iam1(server.url, 'list_attached_role_policies', { RoleName: 'ecsAnywhereRole' }, ROOT);
  assert.deepEqual(attached.AttachedPolicies, []);

  // Signing out ends the session: the old cookie no longer opens a page.
  await page.goto(`${server.url}/console`);
  await page.click('#sign-out');
  await page.waitForURL(/\/console\/signin\?done=signedout/);
  await shot(page, 'signed-out');
  await page.context().addCookies([session]);
  await page.goto(`${server.url}/console/roles`);
  await page.waitForURL(/\/console\/signin/);
});

test('the root user signs in with a root access key and sets a boundary and a customer policy', async () => {
  const page = await newPage(browser, problems);
  await page.goto(`${server.url}/console`);
  await page.waitForURL(/\/console\/signin/);
  await page.fill('#root-account', account);
  await page.fill('#root-key', ROOT_ID);
  await page.fill('#root-secret', ROOT_SECRET);
  await page.click('#root-sign-in');
  await page.waitForURL(/\/console$/);
  assert.equal(await page.locator('#signed-in-as b').textContent(), `arn:aws:iam::${account}:root`);
  await shot(page, 'root-dashboard');

  // A permissions boundary, chosen from the whole catalog with the filter.
  await page.goto(`${server.url}/console/roles/ecsAnywhereRole`);
  await page.click('#edit-boundary');
  await page.waitForSelector('[data-policy-picker][data-ready="true"]');
  await page.fill('#policy-filter', 'AmazonSSMManagedInstanceCore');
  await page.waitForFunction(() => document.querySelectorAll('[data-picker-rows] tr').length === 1);
  await page.getByRole('checkbox', { name: 'Select AmazonSSMManagedInstanceCore' }).check();
  await shot(page, 'boundary-chosen');
  await Promise.all([page.waitForURL(/done=boundary/), page.click('#set-boundary')]);
  assert.equal(await page.locator('#role-boundary').textContent(), 'AmazonSSMManagedInstanceCore');
  await shot(page, 'boundary-set');
  let role = iam1(server.url, 'get_role', { RoleName: 'ecsAnywhereRole' }, ROOT).Role;
  assert.equal(role.PermissionsBoundary.PermissionsBoundaryArn, SSM_CORE_ARN);
  await page.click('#edit-boundary');
  await Promise.all([page.waitForURL(/done=boundary-removed/), page.click('#remove-boundary')]);
  role = iam1(server.url, 'get_role', { RoleName: 'ecsAnywhereRole' }, ROOT).Role;
  assert.equal(role.PermissionsBoundary, undefined);

  // A customer managed policy: created, validated as typed, edited into v2,
  // v1 made the default again, then deleted.
  await page.goto(`${server.url}/console/policies`);
  await page.click('#create-policy');
  await page.fill('#policy-name', 'ecs-anywhere-reader');
  await page.fill('#policy-document', '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ecs:List*"}]}');
  await page.locator('#policy-status').filter({ hasText: 'Policy statement must contain resources.' }).waitFor();
  await shot(page, 'policy-invalid');
  await page.fill('#policy-document', '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ecs:List*","Resource":"*"}]}');
  await Promise.all([page.waitForURL(/done=created/), page.click('#create-policy')]);
  await shot(page, 'policy-created');
  const arn = await page.locator('#policy-arn').textContent();
  assert.equal(arn, `arn:aws:iam::${account}:policy/ecs-anywhere-reader`);
  await page.click('#edit-policy');
  await page.fill('#policy-document', '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ecs:List*","ecs:Describe*"],"Resource":"*"}]}');
  await Promise.all([page.waitForURL(/done=version/), page.click('#save-policy')]);
  await shot(page, 'policy-v2');
  assert.equal(iam1(server.url, 'get_policy', { PolicyArn: arn }, ROOT).Policy.DefaultVersionId, 'v2');
  await Promise.all([page.waitForURL(/done=default/), page.getByRole('button', { name: 'Set as default v1' }).click()]);
  assert.equal(iam1(server.url, 'get_policy', { PolicyArn: arn }, ROOT).Policy.DefaultVersionId, 'v1');
  await page.click('#delete-policy');
  await page.fill('#confirm', 'ecs-anywhere-reader');
  await Promise.all([page.waitForURL(/done=deleted/), page.click('#confirm-delete')]);
  await shot(page, 'policy-deleted');
  const [gone] = iam(server.url, [{ op: 'get_policy', args: { PolicyArn: arn } }], ROOT);
  assert.equal(gone.error.Code, 'NoSuchEntity');
});
