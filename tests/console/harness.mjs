// Shared by the console tests: the real ironiam binary on port 0, Debian's
// Chromium driven by playwright-core, boto3 for API-side assertions, and
// numbered screenshots under test-output/console/<suite>/.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

const HERE = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(HERE, '..', '..');
export const BIN = process.env.IRONIAM_BIN || join(ROOT, 'target', 'debug', 'ironiam');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

/** The guide's trust policy, exactly as the console procedures print it. */
export const GUIDE_TRUST = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {
        "Service": "ssm.amazonaws.com"
      },
      "Action": "sts:AssumeRole"
    }
  ]
}`;
export const EC2_ROLE_ARN = 'arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role';
export const SSM_CORE_ARN = 'arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore';

/**
 * The storage the suite's servers run on: `--in-memory`, or with
 * IRONIAM_CONSOLE_BACKEND=postgres a fresh database on the test PostgreSQL
 * server (IRONIAM_TEST_DATABASE_URL, which scripts/with-postgres starts), so
 * that sessions, the sign-in brake and CSRF tokens go through the database.
 */
export const BACKEND = process.env.IRONIAM_CONSOLE_BACKEND || 'memory';
let databases = 0;

function storageArgs() {
  if (BACKEND !== 'postgres') return ['--in-memory'];
  const base = process.env.IRONIAM_TEST_DATABASE_URL;
  if (!base) throw new Error('IRONIAM_CONSOLE_BACKEND=postgres needs IRONIAM_TEST_DATABASE_URL (scripts/with-postgres)');
  databases += 1;
  const name = `console_${process.pid}_${databases}`;
  const made = spawnSync('psql', [base, '-qc', `CREATE DATABASE ${name}`], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`cannot create database ${name}: ${made.stderr}`);
  return ['--database', `${base.slice(0, base.lastIndexOf('/'))}/${name}`];
}

/** Starts `ironiam serve --listen 127.0.0.1:0 --in-memory ...extra` (or `--database`, see BACKEND); resolves to {url, stop}. */
export async function startServer(extra = []) {
  if (!existsSync(BIN)) throw new Error(`ironiam binary not found at ${BIN}; build it first (cargo build -p ironiam)`);
  const proc = spawn(BIN, ['serve', '--listen', '127.0.0.1:0', ...storageArgs(), ...extra], { stdio: ['ignore', 'pipe', process.env.IRONIAM_LOG ? 'inherit' : 'ignore'] });
  const lines = createInterface({ input: proc.stdout });
  const url = await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error('server did not start in 10 s')), 10_000);
    lines.once('line', (line) => {
      clearTimeout(timer);
      const m = /ironiam listening on (http:\/\/\S+)/.exec(line);
      m ? ok(m[1]) : fail(new Error(`unexpected first line: ${line}`));
    });
    proc.once('exit', (code) => fail(new Error(`server exited with ${code}`)));
  });
  lines.on('line', () => {});
  return {
    url,
    stop: () => new Promise((ok) => {
      if (proc.exitCode !== null) return ok();
      proc.once('exit', ok);
      proc.kill('SIGTERM');
    }),
  };
}

/** Debian's Chromium, headless, with the flags this machine needs; playwright gives it a fresh profile. */
export async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
}

/** A page that fails the test on any script error or dialog. */
export async function newPage(browser, problems) {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('dialog', async (d) => { problems.push(`dialog: ${d.message()}`); await d.dismiss(); });
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()}`); });
  return page;
}

/** Runs IAM calls through boto3 (signed with `credentials`, "AKID:SECRET", when given); returns one {ok}|{error} per call. */
export function iam(url, calls, credentials) {
  const args = [join(HERE, 'iam_api.py'), url, ...(credentials ? [credentials] : [])];
  const r = spawnSync('python3', args, { input: JSON.stringify(calls), encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`iam_api.py failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** The single result of one IAM call, throwing on an error. */
export function iam1(url, op, args = {}, credentials) {
  const [r] = iam(url, [{ op, args }], credentials);
  if (r.error) throw new Error(`${op}: ${r.error.Code}: ${r.error.Message}`);
  return r.ok;
}

/** Numbered full-page screenshots of one suite. */
export function screenshots(suite) {
  const dir = join(ROOT, 'test-output', 'console', BACKEND === 'memory' ? suite : `${suite}-${BACKEND}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  let n = 0;
  return async (page, name) => {
    n += 1;
    const file = join(dir, `${String(n).padStart(2, '0')}-${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    return file;
  };
}

/** A trust policy for `service`. */
export function serviceTrust(service) {
  return JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }] });
}
