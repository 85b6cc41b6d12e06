"""Writing artifacts: prompts, providers, streaming, extraction, edits, repair, jobs."""
