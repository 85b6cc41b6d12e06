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


# A fuller tip calculator with three acceptance checks (tests of the checks and of
# tries): the model's checks first, then the document.
CALC_DOC = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Tip calculator</title></head>
<body><h1>Tip calculator</h1>
<label>Bill <input id="bill" type="number"></label>
<button id="calc">Calculate</button>
<p>Tip: <output id="tip"></output></p>
<p id="summary" hidden>Each pays <output id="each"></output> <button id="copy">Copy summary</button></p>
<p id="copied"></p>
<script>
const $ = (id) => document.getElementById(id);
$('calc').onclick = () => {
  const bill = Number($('bill').value);
  $('tip').textContent = (bill * 0.15).toFixed(2);
  $('each').textContent = (bill * 1.15).toFixed(2);
  $('summary').hidden = false;
};
$('copy').onclick = async () => {
  try { await navigator.clipboard.writeText('Each pays ' + $('each').textContent); $('copied').textContent = 'Copied'; }
  catch { $('copied').textContent = 'Copy failed'; }
};
</script></body></html>"""  # noqa: E501 - the document as the model wrote it
CALC_CHECKS = """[
  {"name": "computes a 15% tip", "steps": [
    {"fill": "#bill", "text": "100"},
    {"click": "#calc"},
    {"expect": "#tip", "text": "15.00"}
  ]},
  {"name": "shows what each pays", "steps": [
    {"fill": "#bill", "text": "100"},
    {"click": "#calc"},
    {"expect": "#each", "text": "115.00"}
  ]},
  {"name": "copies the summary", "steps": [
    {"fill": "#bill", "text": "20"},
    {"click": "#calc"},
    {"click": "#copy"},
    {"expect": "#copied", "text": "Copied"},
    {"expect_no_errors": true}
  ]}
]"""


def checked_answer(doc: str = CALC_DOC, checks: str = CALC_CHECKS) -> str:
    """An answer with the checks block first, then the document."""
    return f"A tip calculator.\n\n```kiln-checks\n{checks}\n```\n\n```html\n{doc}\n```\n"


def edit_block(search: str, replace: str, note: str = "Done.") -> str:
    """One search/replace edit block, after a note."""
    return f"{note}\n<<<<<<< SEARCH\n{search}\n=======\n{replace}\n>>>>>>> REPLACE\n"
