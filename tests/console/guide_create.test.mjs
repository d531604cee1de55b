// The guide's second console procedure, "To create the ecsAnywhereRole IAM
// role (AWS Management Console)", step by step in headless Chromium: the
// Create role wizard (AWS service → Elastic Container Service → "EC2 Role for
// Elastic Container Service" → permissions → name and description → review →
// create), then attaching AmazonSSMManagedInstanceCore and editing the trust
// relationship. The resulting state is asserted through the IAM API with boto3.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, launchBrowser, newPage, iam1, screenshots, GUIDE_TRUST, EC2_ROLE_ARN, SSM_CORE_ARN,
} from './harness.mjs';

let server;
let browser;
const problems = [];
const shot = screenshots('guide-create');
const DESCRIPTION = 'Allows on-premises servers or virtual machine in an ECS cluster to access ECS.';

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('create ecsAnywhereRole with the wizard, attach the SSM policy, update the trust policy', async () => {
  const page = await newPage(browser, problems);
  // 1. Open the IAM console.
  await page.goto(`${server.url}/console`);
  await shot(page, 'open-console');
  // 2. In the navigation pane, choose Roles and then choose Create role.
  await page.locator('nav.sidenav').getByRole('link', { name: 'Roles' }).click();
  await page.waitForURL(/\/console\/roles$/);
  await shot(page, 'roles-empty');
  await page.click('#create-role');
  await page.waitForURL(/create-role/);
  await shot(page, 'select-trusted-entity');
  // 3. Choose the AWS service role type, and then choose Elastic Container Service.
  await page.getByRole('radio', { name: /^AWS service/ }).check();
  await page.selectOption('#service-select', { label: 'Elastic Container Service' });
  // 4. Choose the EC2 Role for Elastic Container Service use case and then Next: Permissions.
  await page.getByRole('radio', { name: /EC2 Role for Elastic Container Service/ }).check();
  assert.ok(await page.getByRole('radio', { name: /Elastic Container Service Task/ }).isVisible());
  assert.ok(await page.getByRole('radio', { name: /Elastic Container Service Autoscale/ }).isVisible());
  await shot(page, 'ecs-use-case');
  await Promise.all([page.waitForNavigation(), page.click('#wizard-next')]);
  await page.waitForSelector('[data-policy-picker][data-ready="true"]');
  assert.equal(await page.getByRole('heading', { name: 'Add permissions' }).count(), 1);
  // 5. In the Attached permissions policy section, select AmazonEC2ContainerServiceforEC2Role
  //    (the use case preselects it, as AWS's console does) and then Next: Review.
  await page.fill('#policy-filter', 'AmazonEC2ContainerServiceforEC2Role');
  await page.waitForFunction(() => document.querySelectorAll('[data-picker-rows] tr').length === 1);
  const box = page.getByRole('checkbox', { name: 'Select AmazonEC2ContainerServiceforEC2Role' });
  assert.equal(await box.isChecked(), true, 'the use case preselects its policy');
  await box.check();
  await shot(page, 'permissions');
  await Promise.all([page.waitForNavigation(), page.click('#wizard-next')]);
  // 6. For Role name, type ecsAnywhereRole and enter the description.
  await page.locator('#role-name').waitFor();
  assert.equal(await page.locator('#role-description').inputValue(), 'Allows EC2 instances in an ECS cluster to access ECS.');
  await page.fill('#role-name', 'ecsAnywhereRole');
  await page.fill('#role-description', DESCRIPTION);
  // 7. Review your role information and then choose Create role.
  assert.match(await page.locator('pre.code').first().textContent(), /"ec2\.amazonaws\.com"/);
  assert.equal(await page.locator('#review-policies tbody tr').count(), 1);
  assert.match(await page.locator('#review-policies').textContent(), /AmazonEC2ContainerServiceforEC2Role/);
  await shot(page, 'name-review-create');
  await Promise.all([page.waitForURL(/done=created/), page.click('#create-role-submit')]);
  await page.locator('.alert.success').waitFor();
  assert.match(await page.locator('.alert.success').textContent(), /Role ecsAnywhereRole created/);
  await shot(page, 'created');

  // The wizard's role, through the API, before the rest of the procedure.
  const created = iam1(server.url, 'get_role', { RoleName: 'ecsAnywhereRole' }).Role;
  assert.equal(created.Description, DESCRIPTION);
  assert.deepEqual(created.AssumeRolePolicyDocument.Statement[0].Principal, { Service: 'ec2.amazonaws.com' });
  assert.deepEqual(iam1(server.url, 'list_attached_role_policies', { RoleName: 'ecsAnywhereRole' }).AttachedPolicies,
    [{ PolicyName: 'AmazonEC2ContainerServiceforEC2Role', PolicyArn: EC2_ROLE_ARN }]);

  // 8. Choose the ecsAnywhereRole role you just created.
  await page.getByRole('link', { name: 'ecsAnywhereRole', exact: true }).first().click();
  await page.waitForURL(/\/console\/roles\/ecsAnywhereRole/);
  await shot(page, 'role');
  // 9. On the Permissions tab, choose Attach policies.
  await page.click('#attach-policies');
  await page.waitForSelector('[data-policy-picker][data-ready="true"]');
  // 10. In the Filter box, type AmazonSSMManagedInstanceCore.
  await page.fill('#policy-filter', 'AmazonSSMManagedInstanceCore');
  await page.waitForFunction(() => {
    const r = document.querySelectorAll('[data-picker-rows] tr');
    return r.length === 1 && r[0].textContent.includes('AmazonSSMManagedInstanceCore');
  });
  // Each policy's JSON is one click away.
  await page.getByRole('button', { name: 'JSON' }).first().click();
  await page.waitForFunction(() => /ssm:UpdateInstanceInformation/.test(document.querySelector('tr.json-row')?.textContent || ''));
  await shot(page, 'filter-ssm-core');
  // 11. Check the box to the left of AmazonSSMManagedInstanceCore and choose Attach policy.
  await page.getByRole('checkbox', { name: 'Select AmazonSSMManagedInstanceCore' }).check();
  await Promise.all([page.waitForURL(/done=attached/), page.click('#attach-submit')]);
  await shot(page, 'attached-ssm-core');
  // 12. On the Trust relationships tab, choose Edit trust relationship.
  await page.getByRole('tab', { name: 'Trust relationships' }).click();
  await page.click('#edit-trust');
  await page.waitForSelector('#policy-status .valid');
  // The editor validates as you type, with the policy engine's messages...
  await page.fill('#policy-document', GUIDE_TRUST.replace('"Action": "sts:AssumeRole"', '"Action": "s3:GetObject"'));
  await page.waitForFunction(() => document.querySelector('#policy-status .invalid'));
  const message = await page.locator('#policy-status').textContent();
  assert.match(message, /MalformedPolicyDocument/);
  await shot(page, 'trust-invalid-as-you-type');
  // ...and the server refuses it on submit with the same message.
  await page.click('#update-trust');
  await page.locator('.alert.error').waitFor();
  assert.match(await page.locator('.alert.error').textContent(), /MalformedPolicyDocument/);
  await shot(page, 'trust-refused-on-submit');
  // Chromium logs the intended 400 answer; nothing else may have gone wrong.
  assert.deepEqual(problems.splice(0).filter((p) => !/status of 400/.test(p)), []);
  // 13. Change the trust relationship to the guide's policy and choose Update Trust Policy.
  await page.fill('#policy-document', GUIDE_TRUST);
  await page.waitForFunction(() => /1 line\(s\) added, 1 removed/.test(document.querySelector('#policy-diff').textContent));
  await shot(page, 'trust-difference');
  await Promise.all([page.waitForURL(/done=trust/), page.click('#update-trust')]);
  await page.locator('.alert.success').waitFor();
  await shot(page, 'trust-updated');

  // The end state, through the IAM API.
  const role = iam1(server.url, 'get_role', { RoleName: 'ecsAnywhereRole' }).Role;
  assert.equal(role.RoleName, 'ecsAnywhereRole');
  assert.equal(role.Description, DESCRIPTION);
  assert.equal(role.MaxSessionDuration, 3600);
  assert.deepEqual(role.AssumeRolePolicyDocument, JSON.parse(GUIDE_TRUST));
  const attached = iam1(server.url, 'list_attached_role_policies', { RoleName: 'ecsAnywhereRole' }).AttachedPolicies;
  assert.deepEqual(attached.map((p) => p.PolicyArn).sort(), [EC2_ROLE_ARN, SSM_CORE_ARN].sort());
  const entities = iam1(server.url, 'list_entities_for_policy', { PolicyArn: SSM_CORE_ARN }).PolicyRoles;
  assert.deepEqual(entities.map((r) => r.RoleName), ['ecsAnywhereRole']);

  // The policy page shows where the policy is attached.
  await page.goto(`${server.url}/console/policies`);
  await page.fill('#policy-search', 'AmazonSSMManagedInstanceCore');
  await page.waitForFunction(() => document.querySelectorAll('#policies-table tbody tr').length === 1);
  await page.getByRole('link', { name: 'AmazonSSMManagedInstanceCore', exact: true }).click();
  await page.getByRole('tab', { name: /Entities attached/ }).click();
  assert.match(await page.locator('#entities-table').textContent(), /ecsAnywhereRole/);
  await shot(page, 'policy-entities');
  await page.getByRole('tab', { name: 'Policy versions' }).click();
  await page.locator('#version-document').waitFor();
  await shot(page, 'policy-versions');
  assert.deepEqual(problems, []);
  await page.context().close();
});
