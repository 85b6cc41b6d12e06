"""The browser tester: every artifact version loaded as users get it, in real
headless Chromium (a warm pool, a fresh context per artifact), and judged."""
