// The Playwright Test configuration `flask --app app eval webbench` runs a
// Web-Bench project's specs with, unchanged: Web-Bench's own settings for an
// evaluation (30 s a test, 5 s an expectation, no retries), Desktop Chrome, on
// the Chromium Kiln uses, against the version as Kiln serves it (the specs open
// /index.html on baseURL, which Kiln maps to the version under test).
// Everything particular to a run comes from the environment (evals/webbench.py).
const { devices } = require("@playwright/test");

const env = (name) => {
  const value = process.env[name];
  if (value === undefined)
    throw new Error(`${name} is not set: run this through flask --app app eval webbench`);
  return value;
};
const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const specs = JSON.parse(env("KILN_WEBBENCH_SPECS"));

module.exports = {
  testDir: env("KILN_WEBBENCH_TEST_DIR"),
  testMatch: specs.map((file) => new RegExp(`(^|[\\\\/])${escape(file)}$`)),
  outputDir: env("KILN_WEBBENCH_OUTPUT"),
  timeout: 30_000,
  expect: { timeout: 5_000 },
  fullyParallel: true,
  retries: 0,
  workers: Number(env("KILN_WEBBENCH_WORKERS")),
  reporter: [["json", { outputFile: env("KILN_WEBBENCH_REPORT") }]],
  use: {
    ...devices["Desktop Chrome"],
    baseURL: env("KILN_WEBBENCH_BASE_URL"),
    headless: true,
    launchOptions: {
      executablePath: process.env.KILN_WEBBENCH_CHROMIUM || undefined,
      args: JSON.parse(env("KILN_WEBBENCH_CHROMIUM_ARGS")),
    },
  },
};
