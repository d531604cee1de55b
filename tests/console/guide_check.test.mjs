// The guide's first console procedure, "To check for the ecsAnywhereRole IAM
// role (AWS Management Console)", step by step in headless Chromium against a
// role that needs repairing (no policies, trust for EC2 instead of SSM), then
// once more against the repaired role (the "matches, so Cancel" branch).
// The resulting state is asserted through the IAM API with boto3.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, launchBrowser, newPage, iam, iam1, screenshots, serviceTrust, GUIDE_TRUST, EC2_ROLE_ARN, SSM_CORE_ARN,
} from './harness.mjs';

let server;
let browser;
const problems = [];
const shot = screenshots('guide-check-and-repair');

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  // Some neighbours, and the role in need of repair.
  const calls = [];
  for (const name of ['ecsInstanceRole', 'ecsTaskExecutionRole', 'lambda-basic', 'AWSServiceRoleForSupport-like', 'ci-deployer']) {
    calls.push({ op: 'create_role', args: { RoleName: name, AssumeRolePolicyDocument: serviceTrust('ec2.amazonaws.com') }, quiet: true });
  }
  calls.push({ op: 'create_role', args: { RoleName: 'ecsAnywhereRole', AssumeRolePolicyDocument: serviceTrust('ec2.amazonaws.com') }, quiet: true });
  for (const r of iam(server.url, calls)) assert.ok(r.ok, JSON.stringify(r));
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function attachByFilter(page, policyName, label) {
  await page.click('#attach-policies');
  await page.waitForSelector('[data-policy-picker][data-ready="true"]');
  await shot(page, `attach-policies-${label}`);
  // In the Filter box, type the policy name to narrow the available policies.
  await page.fill('#policy-filter', policyName);
  const rows = page.locator('[data-picker-rows] tr');
  await assert.doesNotReject(rows.first().waitFor());
  await page.waitForFunction((n) => {
    const r = document.querySelectorAll('[data-picker-rows] tr');
    return r.length === 1 && r[0].textContent.includes(n);
  }, policyName);
  await shot(page, `filter-${label}`);
  // Check the box to the left of the policy and choose Attach policy.
  await page.getByRole('checkbox', { name: `Select ${policyName}` }).check();
  await shot(page, `checked-${label}`);
  await Promise.all([page.waitForURL(/done=attached/), page.click('#attach-submit')]);
  await page.locator('.alert.success').waitFor();
  assert.ok(await page.locator(`#permissions-table tr[data-policy="${policyName}"]`).count() === 1);
  await shot(page, `attached-${label}`);
}

test('check for ecsAnywhereRole, attach what is missing, update the trust relationship', async () => {
  const page = await newPage(browser, problems);
  // 1. Open the IAM console.
  await page.goto(`${server.url}/console`);
  await assert.doesNotReject(page.getByRole('heading', { name: 'IAM dashboard' }).waitFor());
  await shot(page, 'open-console');
  // 2. In the navigation pane, choose Roles.
  await page.locator('nav.sidenav').getByRole('link', { name: 'Roles' }).click();
  await page.waitForURL(/\/console\/roles$/);
  assert.equal(await page.locator('#roles-table tbody tr').count(), 6);
  await shot(page, 'roles');
  // 3. Search the list of roles for ecsAnywhereRole; select it.
  await page.fill('#role-search', 'ecsAnywhereRole');
  await page.waitForFunction(() => document.querySelectorAll('#roles-table tbody tr').length === 1);
  await shot(page, 'search');
  await page.getByRole('link', { name: 'ecsAnywhereRole', exact: true }).click();
  await page.waitForURL(/\/console\/roles\/ecsAnywhereRole/);
  assert.equal(await page.locator('#role-name').textContent(), 'ecsAnywhereRole');
  await shot(page, 'role');
  // 4. On the Permissions tab: neither managed policy is attached.
  assert.equal(await page.locator('#permissions-table tr[data-policy]').count(), 0);
  // 4.1–4.5 Attach both through the Filter box.
  await attachByFilter(page, 'AmazonEC2ContainerServiceforEC2Role', 'ec2-role');
  await attachByFilter(page, 'AmazonSSMManagedInstanceCore', 'ssm-core');
  // The picture now shows what the role can do.
  assert.ok(await page.locator('svg.role-picture [data-service="ecs"]').count() === 1);
  assert.ok(await page.locator('svg.role-picture [data-service="ssm"]').count() === 1);
  // 5. Trust relationships tab, Edit trust relationship.
  await page.getByRole('tab', { name: 'Trust relationships' }).click();
  await page.locator('#trust-document').waitFor();
  await shot(page, 'trust-relationships');
  await page.click('#edit-trust');
  await page.locator('#policy-document').waitFor();
  await page.waitForSelector('#policy-status .valid');
  await shot(page, 'edit-trust');
  // 6. It does not match: copy the guide's policy into the Policy Document window.
  await page.fill('#policy-document', GUIDE_TRUST);
  await page.waitForFunction(() => /1 line\(s\) added, 1 removed/.test(document.querySelector('#policy-diff').textContent));
  assert.match(await page.locator('#policy-diff .add').allTextContents().then((t) => t.join('\n')), /ssm\.amazonaws\.com/);
  assert.match(await page.locator('#policy-diff .del').allTextContents().then((t) => t.join('\n')), /ec2\.amazonaws\.com/);
  await shot(page, 'trust-difference');
  // ...and choose Update Trust Policy.
  await Promise.all([page.waitForURL(/done=trust/), page.click('#update-trust')]);
  await page.locator('.alert.success').waitFor();
  await shot(page, 'trust-updated');

  // The result, through the IAM API.
  const attached = iam1(server.url, 'list_attached_role_policies', { RoleName: 'ecsAnywhereRole' }).AttachedPolicies;
  assert.deepEqual(attached.map((p) => p.PolicyArn).sort(), [SSM_CORE_ARN, EC2_ROLE_ARN].sort());
  const role = iam1(server.url, 'get_role', { RoleName: 'ecsAnywhereRole' }).Role;
  assert.deepEqual(role.AssumeRolePolicyDocument, JSON.parse(GUIDE_TRUST));
  assert.deepEqual(problems, []);
  await page.context().close();
});

test('check again: everything is in place, so the trust editor is cancelled', async () => {
  const page = await newPage(browser, problems);
  await page.goto(`${server.url}/console/roles`);
  await page.fill('#role-search', 'ecsAnywhereRole');
  await page.waitForFunction(() => document.querySelectorAll('#roles-table tbody tr').length === 1);
  await page.getByRole('link', { name: 'ecsAnywhereRole', exact: true }).click();
  // The click starts the navigation; the counts below do not wait for it.
  await page.waitForURL(/\/console\/roles\/ecsAnywhereRole/);
  // Both managed policies are attached: the role is properly configured.
  for (const name of ['AmazonEC2ContainerServiceforEC2Role', 'AmazonSSMManagedInstanceCore']) {
    assert.equal(await page.locator(`#permissions-table tr[data-policy="${name}"]`).count(), 1, name);
  }
  await shot(page, 'recheck-permissions');
  await page.getByRole('tab', { name: 'Trust relationships' }).click();
  await page.click('#edit-trust');
  // Pasting the guide's policy (its CLI spelling, even) shows no semantic difference...
  await page.fill('#policy-document', `{
    "Version": "2012-10-17",
    "Statement": {
      "Effect": "Allow",
      "Principal": {"Service": [
        "ssm.amazonaws.com"
      ]},
      "Action": "sts:AssumeRole"
    }
  }`);
  await page.waitForFunction(() => /No semantic difference/.test(document.querySelector('#policy-diff').textContent));
  await shot(page, 'recheck-no-difference');
  // ...so choose Cancel.
  const before = iam1(server.url, 'get_role', { RoleName: 'ecsAnywhereRole' }).Role.AssumeRolePolicyDocument;
  await Promise.all([page.waitForURL(/tab=trust$/), page.click('#cancel-trust')]);
  await shot(page, 'recheck-cancelled');
  const afterDoc = iam1(server.url, 'get_role', { RoleName: 'ecsAnywhereRole' }).Role.AssumeRolePolicyDocument;
  assert.deepEqual(afterDoc, before);
  assert.deepEqual(problems, []);
  await page.context().close();
});
