import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { mkdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { chromium, type Page } from 'playwright-core'

/** Debian's Chromium: Playwright's own download cannot work here (.ci/run installs the package). */
export const CHROMIUM = '/usr/bin/chromium'
/** For tap's `skip`: why the browser tests cannot run here, or false. */
export const noBrowser = !existsSync(CHROMIUM) && `no ${CHROMIUM}`
const shots = path.join(import.meta.dirname, '..', '..', 'test-output', 'screenshots')

/**
 * A page in headless Chromium, closed with the test, that counts requests leaving `base`, script errors and
 * Content-Security-Policy violations, and
 * saves screenshots to test-output/screenshots/<prefix>-<name>.png. The flags keep Chromium off this machine's
 * closed network.
 */
export async function openPage (t: { teardown (fn: () => unknown): void }, base: string, prefix: string, viewport: { width: number, height: number }) {
  await mkdir(shots, { recursive: true })
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
  })
  t.teardown(() => browser.close())
  const page: Page = await browser.newPage({ viewport })
  const outside: string[] = []
  // A blob: URL of this origin is the page's own data (a recording fetched with the token), not another server's.
  page.on('request', (request) => { if (!request.url().startsWith(base) && !request.url().startsWith(`blob:${base}/`)) outside.push(request.url()) })
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.message))
  // What the Content-Security-Policy refused (an inline script or style, another origin) is an error too.
  page.on('console', (message) => { if (/Content Security Policy/i.test(message.text())) errors.push(message.text()) })
  const shot = (name: string) => page.screenshot({ path: path.join(shots, `${prefix}-${name}.png`), fullPage: true })
  return { page, outside, errors, shot }
}

let axeSource: string | undefined

/** axe-core's findings on the page as it is now (WCAG 2.1 A and AA): each as `rule: the elements`. */
export async function accessibilityProblems (page: Page): Promise<string[]> {
  // Evaluated through the debugging protocol: the page's policy refuses inline scripts, as it should.
  await page.evaluate(axeSource ??= await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8'))
  // A string, run in the page: the tests are compiled without the DOM's types.
  return await page.evaluate(`axe.run({ runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }).then(({ violations }) =>
    violations.map((violation) => violation.id + ': ' + violation.nodes.map((node) => node.target.join(' ')).join(', ')))`)
}

/**
 * Waits until `expression`, evaluated in the page, is true. Not waitForFunction: it evaluates a string with eval in
 * the page, which the pages' Content-Security-Policy refuses, as it should.
 */
export async function waitUntil (page: Page, expression: string, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!await page.evaluate(expression)) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${expression}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** Waits until `n` elements match `selector`. */
export async function counted (page: Page, selector: string, n: number): Promise<void> {
  await waitUntil(page, `document.querySelectorAll(${JSON.stringify(selector)}).length === ${n}`)
}
