"""What the fake model writes in tests, benchmarks and screenshots: a tip
calculator (the document, its notes, the whole answer, with acceptance checks
written first), and the search/replace edit that makes the tip 20%."""
from __future__ import annotations

TIP_DOC = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Tip calculator</title></head>
<body><label>Bill <input id="bill" value="10"></label><output id="tip">1.50</output>
<script>document.getElementById('bill').oninput = e => {
  document.getElementById('tip').textContent = (e.target.value * 0.15).toFixed(2);
};</script></body></html>"""

TIP_NOTES = "A tip calculator with a **live** result."
# The tip calculator with notes, then the edit that makes the tip 20%.
TIP_ANSWER = f"{TIP_NOTES}\n\n```html\n{TIP_DOC}\n```\n"
# The same, with acceptance checks written first (one long, to try narrow screens).
TIP_CHECKS = ('[{"name": "a 15% tip", "steps": [{"fill": "#bill", "text": "100"}, '
              '{"expect": "#tip", "text": "15.00"}]}, {"name": "a tip for a bill written as a long '
              'number, with every digit kept", "steps": [{"fill": "#bill", "text": "'
              + "1" * 60 + '"}, {"expect_no_errors": true}]}]')
TIP_CHECKED_ANSWER = f"{TIP_NOTES}\n\n```kiln-checks\n{TIP_CHECKS}\n```\n\n```html\n{TIP_DOC}\n```\n"
TIP_EDIT = ("Made the tip 20%.\n<<<<<<< SEARCH\n(e.target.value * 0.15)\n=======\n"
            "(e.target.value * 0.20)\n>>>>>>> REPLACE\n")
