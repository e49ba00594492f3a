import { existsSync } from "node:fs";
import { type Browser, chromium, type Page } from "playwright-core";

/**
 * Where the browser tests find Chromium: `CHROMIUM_PATH`, else Debian's `chromium` package
 * (which `.ci/run` installs when it is missing). Playwright's own browser downloads are never used.
 */
export const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/**
 * Whether the browser tests can run. Without Chromium they are skipped with a visible notice;
 * under `CI=true` a missing Chromium is an error, since CI must run them.
 *
 * @param what - The tests, as the notice names them.
 */
export function chromiumAvailable(what: string): boolean {
  if (existsSync(chromiumPath)) return true;
  if (process.env.CI === "true") {
    throw new Error(`CI=true but no Chromium at ${chromiumPath}; ${what} must run in CI.`);
  }
  console.warn(
    `[pipeweave] No Chromium at ${chromiumPath}: skipping ${what}. ` +
      "Install it with `apt-get install -y chromium` or set CHROMIUM_PATH.",
  );
  return false;
}

/** A headless Chromium (playwright gives it a fresh, empty profile). */
export interface TestBrowser {
  readonly browser: Browser;
  /** A new page that records console errors and uncaught page errors into `errors`. */
  page(): Promise<{ page: Page; errors: string[] }>;
  close(): Promise<void>;
}

/**
 * Launches headless Chromium as this machine needs it: no sandbox (tests run as root), no GPU,
 * and no background networking (the machine's network is closed; Chromium would otherwise
 * keep trying Google's hosts).
 */
export async function launchChromium(): Promise<TestBrowser> {
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  return {
    browser,
    async page() {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      const errors: string[] = [];
      page.on("console", (message) => {
        if (message.type() === "error") errors.push(message.text());
      });
      page.on("pageerror", (error) => errors.push(String(error)));
      return { page, errors };
    },
    close: () => browser.close(),
  };
}
