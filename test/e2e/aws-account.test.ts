// The company's "AWS account" setup screen in a real Chromium against the real stack, with moto behind the local
// AWS proxy: a malformed role ARN marked under its input, the role saved, the ExternalId with the trust policy and
// CloudFormation shown, "Test connection" answered, the ExternalId regenerated, and a refused role explained.
import path from 'node:path';
import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEB_DIST } from '../../api/server.ts';
import { launchChromium, signedInPage } from '../helpers/browser.ts';
import { MOTO_DEFAULT_ACCOUNT, startAwsProxy, type AwsProxy } from '../helpers/aws-proxy.ts';
import { createCompany, createUser, type TestUser } from '../helpers/fixtures.ts';
import { startMoto, type Moto } from '../helpers/moto.ts';
import { startStack, type Stack } from '../helpers/stack.ts';

process.env.AWS_ACCESS_KEY_ID = 'testing';
process.env.AWS_SECRET_ACCESS_KEY = 'testing';
process.env.AWS_REGION = 'us-east-1';

const SHOTS = path.resolve('test-results');
const UI_TIMEOUT = 30_000;
const ACCOUNT = '210987654321';

describe('AWS account setup screen (real browser)', () => {
  let moto: Moto;
  let proxy: AwsProxy;
  let stack: Stack;
  let browser: Browser;
  let admin: TestUser;
  let companyId = '';

  beforeAll(async () => {
    if (!existsSync(path.join(WEB_DIST, 'index.html'))) {
      throw new Error(`The dashboard is not built (${WEB_DIST}); run: npm run build:web`);
    }
    moto = await startMoto();
    proxy = await startAwsProxy(moto.url);
    stack = await startStack({ startRouter: false, env: { SSM_ENDPOINT: proxy.url, STS_ENDPOINT: proxy.url } });
    companyId = (await createCompany(stack.sql)).companyId;
    admin = await createUser(stack.sql, 'company_admin', [companyId]);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await proxy?.close();
    await moto?.stop();
  });

  it('saves the role, shows what to paste, tests the connection and regenerates the ExternalId', async () => {
    const errors: string[] = [];
    const page = await signedInPage(browser, `${stack.url}/#/incidents`, admin, {
      pageErrors: errors,
      timeout: UI_TIMEOUT,
    });
    page.on('dialog', (d) => void d.accept());
    await page.goto(`${stack.url}/#/companies/${companyId}/settings`);
    await page.getByRole('link', { name: 'AWS account' }).click();

    const externalId = page.getByTestId('aws-external-id');
    await externalId.waitFor();
    const firstId = (await externalId.textContent())!.trim();
    expect(firstId).toMatch(/^[\w-]{43}$/);
    const policy = JSON.parse((await page.getByTestId('aws-trust-policy').textContent())!) as unknown;
    expect(JSON.stringify(policy)).toContain(`arn:aws:iam::${MOTO_DEFAULT_ACCOUNT}:root`);
    expect(JSON.stringify(policy)).toContain(firstId);
    expect(await page.getByTestId('aws-cloudformation').textContent()).toContain('AWS::IAM::Role');

    const fieldError = (label: string) =>
      page
        .locator('.field')
        .filter({ has: page.getByLabel(label, { exact: true }) })
        .locator('.field-error');
    await page.getByTestId('aws-role-arn').fill('arn:aws:iam::12345:role/too-short');
    await page.getByTestId('aws-save').click();
    await expect.poll(() => fieldError('Role ARN').textContent()).toContain('must be an IAM role ARN');

    const roleArn = `arn:aws:iam::${ACCOUNT}:role/AlertWhispererRemediation`;
    await page.getByTestId('aws-role-arn').fill(roleArn);
    await page.getByTestId('aws-region').fill('us-east-1');
    await page.getByTestId('aws-save').click();
    await page.getByRole('status').getByText('Saved').waitFor();
    proxy.externalIds.set(roleArn, firstId);
    proxy.instances.set(ACCOUNT, ['i-0123456789abcdef0']);

    await page.getByTestId('aws-test').click();
    await expect
      .poll(() => page.getByTestId('aws-test-result').textContent())
      .toContain(`Connected: the role was assumed in account ${ACCOUNT}, and Systems Manager manages 1 instance`);
    await page.screenshot({ path: path.join(SHOTS, 'aws-account-connected.png'), fullPage: true });

    // A new ExternalId: the trust policy shown follows, and until it is pasted AWS refuses the role.
    await page.getByTestId('aws-regenerate').click();
    await expect.poll(async () => (await externalId.textContent())!.trim()).not.toBe(firstId);
    const secondId = (await externalId.textContent())!.trim();
    expect(await page.getByTestId('aws-trust-policy').textContent()).toContain(secondId);
    await page.getByTestId('aws-test').click();
    await expect
      .poll(() => page.getByTestId('aws-test-result').textContent())
      .toContain('The role could not be assumed: AWS refused it.');
    await page.screenshot({ path: path.join(SHOTS, 'aws-account-refused.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
