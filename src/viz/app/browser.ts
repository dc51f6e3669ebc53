/**
 * Headless Chromium for the viz tests and screenshots: Debian's chromium
 * driven by playwright-core (no browser download). Every request that is not
 * for `allowOrigin` is aborted and recorded, so a test can assert that a page
 * made no network request.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env['ECGX_CHROMIUM'] ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** Why the browser tests cannot run here, or undefined when they can. */
export function chromiumMissing(): string | undefined {
  return existsSync(CHROMIUM_PATH) ? undefined : `${CHROMIUM_PATH} not found (apt-get install chromium; ECGX_CHROMIUM overrides the path)`;
}

export interface BrowserSession {
  page: Page;
  /** URLs the page asked for outside `allowOrigin` (all aborted). */
  blocked: string[];
  /** Console errors and uncaught page errors. */
  errors: string[];
  close(): Promise<void>;
}

/** A fresh headless Chromium (own user-data dir) with one page. `allowOrigin`: e.g. 'http://127.0.0.1:PORT'; none = block everything. */
export async function openBrowser(opts: { allowOrigin?: string; width?: number; height?: number } = {}): Promise<BrowserSession> {
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'ecgx-chromium-'));
  const context: BrowserContext = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS,
    viewport: { width: opts.width ?? 1280, height: opts.height ?? 900 },
  });
  const browser: Browser | null = context.browser();
  const blocked: string[] = [], errors: string[] = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('data:') || url === 'about:blank' || (opts.allowOrigin && url.startsWith(opts.allowOrigin + '/'))) return route.continue();
    if (url.startsWith('file:') && !opts.allowOrigin) return route.continue();
    blocked.push(url);
    return route.abort();
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  return {
    page, blocked, errors,
    async close() {
      await context.close();
      await browser?.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
