"""Kiln's own pages and JSON API on the app origin (thin routes only)."""
