"""The secret scan: what in a version's source looks like an API key or a token.

Shown to the tool's owner before they share it (the Checks tab, next to "Copy
link") and told to the model when it repairs the version. A plain function of
the document: :func:`scan` never changes its answer for the same text (with the
same :data:`SCANNER`), so each version is scanned once and the result kept
beside it (``artifacts.secret_store``).

The patterns are detect-secrets' (Yelp's scanner, used as a library of
detectors): each plugin's compiled ``denylist`` and, for JSON Web Tokens, its
``is_formally_valid``. Its scanning engine is not used: its settings are one
global object (not safe across Kiln's threads), and its plugins can "verify" a
key by sending it to the provider, which Kiln must never do. A few kinds it does
not know (Anthropic, newer OpenAI keys, Google API keys, GitHub fine-grained
tokens, Hugging Face) follow the published formats gitleaks checks for.

Left out on purpose, each measured on real pages (``bench/secret_scan_bench.py``):
the entropy and keyword plugins (tools are full of base64 images, hashes, ids
and sample data: all noise), public IP addresses (not a secret), npm's
``.npmrc`` tokens (never in an HTML tool, and its pattern takes quadratic time
on a line of slashes), and detect-secrets' own JWT pattern (quadratic on a run
of ``eyJ``; replaced by one that starts only at a token's first character).

Findings never carry the secret: a kind, a line and a masked preview (the
key's public prefix and, for a long key, its last four characters, as the
providers' own dashboards show keys).
"""
from __future__ import annotations

import base64
import binascii
import json
import re
from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from importlib.metadata import version as package_version

from detect_secrets.filters.heuristic import is_sequential_string, is_templated_secret
from detect_secrets.plugins.artifactory import ArtifactoryDetector
from detect_secrets.plugins.aws import AWSKeyDetector
from detect_secrets.plugins.azure_storage_key import AzureStorageKeyDetector
from detect_secrets.plugins.basic_auth import BasicAuthDetector
from detect_secrets.plugins.discord import DiscordBotTokenDetector
from detect_secrets.plugins.github_token import GitHubTokenDetector
from detect_secrets.plugins.gitlab_token import GitLabTokenDetector
from detect_secrets.plugins.jwt import JwtTokenDetector
from detect_secrets.plugins.mailchimp import MailchimpDetector
from detect_secrets.plugins.openai import OpenAIDetector
from detect_secrets.plugins.private_key import PrivateKeyDetector
from detect_secrets.plugins.pypi_token import PypiTokenDetector
from detect_secrets.plugins.sendgrid import SendGridDetector
from detect_secrets.plugins.slack import SlackDetector
from detect_secrets.plugins.square_oauth import SquareOAuthDetector
from detect_secrets.plugins.stripe import StripeDetector
from detect_secrets.plugins.telegram_token import TelegramBotTokenDetector
from detect_secrets.plugins.twilio import TwilioKeyDetector
from pydantic import BaseModel, Field

# Which scanner wrote a stored result: a result from another one is scanned again.
SCANNER = f"detect-secrets {package_version('detect-secrets')}; kiln 1"
MAX_FINDINGS = 50       # kept per version; the rest are counted (``more``)
MAX_CANDIDATES = 1_000  # matches looked at per rule: a page of fake keys stays cheap
MODEL_FINDINGS = 10     # findings named in a repair prompt


class Finding(BaseModel):
    kind: str      # "GitHub token", "AWS secret access key", ...
    line: int      # 1-based, in the stored document (as the Code tab numbers it)
    preview: str   # masked: "ghp_…x7Qa"; never the secret

    def describe(self) -> str:
        return f"line {self.line}: {_article(self.kind)} {self.kind} ({self.preview})"


class Scan(BaseModel):
    """One version's findings, first ``MAX_FINDINGS`` of them, and how many more."""
    findings: list[Finding] = Field(default_factory=list)
    more: int = 0
    scanner: str = SCANNER

    @property
    def count(self) -> int:
        return len(self.findings) + self.more

    def kinds(self) -> list[str]:
        return list(dict.fromkeys(f.kind for f in self.findings))


@dataclass(frozen=True)
class Rule:
    kind: str
    pattern: re.Pattern[str]
    # Lower-case words one of which any match contains: a rule whose words are
    # nowhere in the document is not run (most documents skip most rules).
    needles: tuple[str, ...]
    prefix: re.Pattern[str] | None = None        # the key's public part, kept in the preview
    valid: Callable[[str], bool] | None = None   # more than a pattern can say
    placeholder: Callable[[str, str], bool] | None = None  # (secret, text after it)
    # Where the pattern is costly at every position (AWS's "aws ... key ... '...'"),
    # it runs only on the text just before each match of this cheap one.
    anchor: re.Pattern[str] | None = None
    lookback: int = 0
    # The secret is the pattern's first group (AWS's secret key after "aws ... key",
    # a URL's password), not the whole match.
    group: int = 0


def _multiline(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """A detect-secrets pattern over a whole document: its ``^`` and ``$`` (written
    for one line) then mean a line's start and end."""
    return re.compile(pattern.pattern, pattern.flags | re.MULTILINE)


def _library(plugin: type, kinds: str | tuple[str, ...], needles: tuple[str, ...],
             prefix: str | None = None, **extra: Any) -> list[Rule]:
    """A detect-secrets plugin's patterns, one rule each (``kinds`` names them in order)."""
    patterns = list(plugin.denylist)  # type: ignore[attr-defined]
    names = (kinds,) * len(patterns) if isinstance(kinds, str) else kinds
    compiled = re.compile(prefix) if prefix else None
    return [Rule(name, _multiline(p), needles, compiled, **extra)
            for name, p in zip(names, patterns, strict=True)]


_TOKEN_CHAR = r"[A-Za-z0-9_\-]"


def _own(kind: str, lead: str, rest: str, prefix: str | None = None) -> Rule:
    """A kind detect-secrets does not know: its published format (``lead``, a
    literal, then ``rest``), matched only where a token begins and ends, with
    bounded repeats, so a hostile run of look-alike text costs one pass. The
    literal comes first so the regex engine can skip to it."""
    literal = re.escape(lead)
    pattern = rf"{literal}(?<!{_TOKEN_CHAR}{literal})(?:{rest})(?!{_TOKEN_CHAR})"
    return Rule(kind, re.compile(pattern), (lead.lower(),), re.compile(prefix) if prefix else None)


# -- placeholders: written to be replaced, never a secret ---------------------------------

_PLACEHOLDER_WORDS = re.compile(
    r"example|your|here|placeholder|sample|dummy|fake|redacted|changeme|insert|replace|xxxx"
    r"|\.\.\.|…", re.IGNORECASE)
_REPEATED = re.compile(r"(.)\1{4,}")
_PASSWORD_WORDS = frozenset({"password", "pass", "passwd", "pwd", "secret", "changeme", "pw",
                             "mypassword", "yourpassword", "hunter2", "admin", "root", "test"})


def looks_like_placeholder(secret: str) -> bool:
    """"YOUR_API_KEY", "sk-ant-xxxxxxxx…", AWS's documented AKIA…EXAMPLE, "abcdef…",
    "<your key>", a string of one character: shaped to be replaced."""
    return bool(not secret or _PLACEHOLDER_WORDS.search(secret) or _REPEATED.search(secret)
                or is_templated_secret(secret) or is_sequential_string(secret)
                or len(set(secret)) < max(3, len(secret) // 4))


_EXAMPLE_HOST = re.compile(r"@(?:[\w.-]*\.)?example\.(?:com|org|net)\b|@(?:host|hostname|server)\b",
                           re.IGNORECASE)


def _placeholder_password(secret: str, after: str) -> bool:
    """"https://user:password@example.com" explains URLs; "user:${PASS}@" is filled in."""
    return (secret.lower() in _PASSWORD_WORDS or is_templated_secret(secret)
            or bool(_PLACEHOLDER_WORDS.search(secret)) or bool(_EXAMPLE_HOST.match(after)))


_KEY_BODY = re.compile(r"[A-Za-z0-9+/]{64,}")
_KEY_NOISE = re.compile(r"\\n|\\r|\s|[\"'`+,]")


def _placeholder_private_key(_secret: str, after: str) -> bool:
    """A real key block has its base64 body after the header (a line of 64
    characters in PEM); "-----BEGIN PRIVATE KEY-----\\n...\\n" has none."""
    body = _KEY_NOISE.sub("", after[:800].split("-----", 2)[1] if after.count("-----") >= 2
                          else after[:800])
    return not _KEY_BODY.search(body) or bool(_PLACEHOLDER_WORDS.search(body[:200]))


def _sample_jwt(token: str, _after: str) -> bool:
    """jwt.io's sample ("John Doe", subject 1234567890), which every JWT tool shows."""
    try:
        part = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (IndexError, ValueError, binascii.Error, UnicodeDecodeError):
        return False
    return isinstance(claims, dict) and (claims.get("name") == "John Doe"
                                         or str(claims.get("sub")) == "1234567890")


def _jwt_valid(token: str) -> bool:
    return bool(JwtTokenDetector.is_formally_valid(token))


# -- the rules, most specific first (a match inside an earlier one is not counted again) ------

_AWS_KEY_ID, _AWS_SECRET = AWSKeyDetector.denylist

RULES: tuple[Rule, ...] = (
    _own("Anthropic API key", "sk-ant-", r"(?:api|admin|oat|sid)\d{2}-[A-Za-z0-9_\-]{32,200}",
         r"^sk-ant-[a-z]+\d*-"),
    *_library(OpenAIDetector, "OpenAI API key", ("t3blbkfj",), r"^sk-(?:[a-z]+-)?"),
    _own("OpenAI API key", "sk-", r"(?:proj|svcacct|admin)-[A-Za-z0-9_\-]{40,250}",
         r"^sk-[a-z]+-"),
    _own("OpenRouter API key", "sk-or-v1-", r"[0-9a-f]{64}", r"^sk-or-v1-"),
    _own("GitHub token", "github_pat_", r"[A-Za-z0-9_]{60,100}", r"^github_pat_"),
    *_library(GitHubTokenDetector, "GitHub token", ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
              r"^gh[a-z]_"),
    *_library(GitLabTokenDetector, "GitLab token",
              ("glpat-", "gldt-", "glft-", "glsoat-", "glrt-", "gr1348941", "glcbt-", "glimt-",
               "glptt-", "glagent-", "gloas-"), r"^(?:gl[a-z]+-|GR1348941)"),
    *_library(SlackDetector, ("Slack token", "Slack webhook URL"), ("xox", "hooks.slack.com"),
              r"^(?:xox[a-z]-|https://hooks\.slack\.com/services/)"),
    *_library(StripeDetector, "Stripe secret key", ("k_live_",), r"^[rs]k_live_"),
    Rule("AWS access key ID", _AWS_KEY_ID, ("a3t", "abia", "acca", "akia", "asia"),
         re.compile(r"^(?:A3T[A-Z0-9]|ABIA|ACCA|AKIA|ASIA)")),
    Rule("AWS secret access key", _AWS_SECRET, ("aws",),
         anchor=re.compile(r"['\"][0-9a-zA-Z/+]{40}['\"]"), lookback=80, group=1),
    _own("Google API key", "AIza", r"[0-9A-Za-z_\-]{35}", r"^AIza"),
    _own("Hugging Face token", "hf_", r"[A-Za-z]{34}", r"^hf_"),
    *_library(PrivateKeyDetector, "private key", ("private key", "putty-user-key"),
              placeholder=_placeholder_private_key),
    Rule("JSON Web Token", re.compile(
        r"eyJ(?<![A-Za-z0-9_\-=]eyJ)[A-Za-z0-9_\-=]{8,4000}\.eyJ[A-Za-z0-9_\-=]{4,8000}"
        r"\.[A-Za-z0-9_\-=]{0,2000}"), ("eyj",),
        re.compile(r"^eyJ"), valid=_jwt_valid, placeholder=_sample_jwt),
    *_library(SendGridDetector, "SendGrid API key", ("sg.",), r"^SG\."),
    *_library(TwilioKeyDetector, "Twilio key", ("ac", "sk"), r"^(?:AC|SK)"),
    *_library(DiscordBotTokenDetector, "Discord bot token", (".",)),
    *_library(TelegramBotTokenDetector, "Telegram bot token", (":",)),
    *_library(MailchimpDetector, "Mailchimp API key", ("-us",)),
    *_library(SquareOAuthDetector, "Square OAuth secret", ("sq0csp-",), r"^sq0csp-"),
    *_library(PypiTokenDetector, "PyPI token", ("pypi-",), r"^pypi-"),
    *_library(AzureStorageKeyDetector, "Azure storage key", ("accountkey=",), r"^AccountKey="),
    *_library(ArtifactoryDetector, "Artifactory credential", ("akc", "ap")),
    *_library(BasicAuthDetector, "password in a URL", ("://",),
              placeholder=_placeholder_password, group=1),
)


# -- the scan --------------------------------------------------------------------------------

def scan(text: str) -> Scan:
    """Every finding in ``text``, in document order (first ``MAX_FINDINGS``).
    Linear in the text's length: each rule is one pass of the regex engine."""
    found: list[tuple[int, Finding]] = []
    starts: list[int] = []  # the findings' spans so far, which never overlap, by start
    ends: list[int] = []
    newlines: list[int] | None = None
    lowered = text.lower()
    for rule in RULES:
        for examined, (start, end, secret) in enumerate(_matches(rule, text, lowered)):
            if examined >= MAX_CANDIDATES:
                break
            at = bisect_right(starts, start)
            if (at and ends[at - 1] > start) or (at < len(starts) and starts[at] < end):
                continue  # found already, by a more specific rule
            if _is_placeholder(rule, secret, text[end:end + 1000]):
                continue
            if newlines is None:
                newlines = [m.start() for m in re.finditer("\n", text)]
            starts.insert(at, start)
            ends.insert(at, end)
            found.append((start, Finding(kind=rule.kind, line=bisect_right(newlines, start) + 1,
                                         preview=mask(secret, rule.prefix))))
    findings = [f for _, f in sorted(found, key=lambda item: item[0])]
    return Scan(findings=findings[:MAX_FINDINGS], more=max(0, len(findings) - MAX_FINDINGS))


def _matches(rule: Rule, text: str, lowered: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, secret) of each match."""
    if not any(needle in lowered for needle in rule.needles):
        return
    if rule.anchor is None:
        matches: Iterator[re.Match[str]] = rule.pattern.finditer(text)
    else:
        matches = _anchored(rule, text)
    for match in matches:
        secret = match.group(rule.group)
        if secret and (rule.valid is None or rule.valid(secret)):
            yield match.start(rule.group), match.end(rule.group), secret


def _anchored(rule: Rule, text: str) -> Iterator[re.Match[str]]:
    """The rule's own pattern, tried only on the text that ends at each anchor match."""
    for anchor in (rule.anchor.finditer(text) if rule.anchor else ()):
        window = rule.pattern.finditer(text, max(0, anchor.start() - rule.lookback), anchor.end())
        found = next((m for m in window if m.end() == anchor.end()), None)
        if found:
            yield found


def _is_placeholder(rule: Rule, secret: str, after: str) -> bool:
    if rule.placeholder is not None:
        return rule.placeholder(secret, after)
    public = rule.prefix.match(secret) if rule.prefix else None
    return looks_like_placeholder(secret[public.end():] if public else secret)


def mask(secret: str, prefix: re.Pattern[str] | None = None) -> str:
    """What may be shown of a secret: its public prefix ("ghp_", "sk-ant-api03-",
    "AKIA") and, when at least 20 characters follow, the last four: enough for
    the owner to tell which key it is, far too little to use it. A private key's
    header is shown as it is (it holds nothing secret)."""
    if secret.startswith(("BEGIN ", "PuTTY")):
        return secret
    public = prefix.match(secret) if prefix else None
    head = public.group(0) if public else ""
    rest = secret[len(head):]
    return f"{head}…{rest[-4:]}" if len(rest) >= 20 else f"{head}…"


# -- words for people and for the model -----------------------------------------------------

def _article(kind: str) -> str:
    return "an" if kind[:1].lower() in "aeio" else "a"


def summary(result: Scan) -> str:
    """"2 possible secrets (a GitHub token, an AWS secret access key)"."""
    kinds = result.kinds()
    named = ", ".join(f"{_article(k)} {k}" for k in kinds[:3]) + (
        f" and {len(kinds) - 3} more kinds" if len(kinds) > 3 else "")
    count = result.count
    return f"{count} possible secret{'s' if count != 1 else ''} ({named})"


def for_model(result: Scan) -> list[str]:
    """What a repair prompt says: each finding's kind and line (the model has the
    document; the masked preview only tells two findings on one line apart)."""
    if not result.count:
        return []
    lines = [f"- line {f.line}: {_article(f.kind)} {f.kind} ({_prefix_only(f.preview)})"
             for f in result.findings[:MODEL_FINDINGS]]
    rest = result.count - len(lines)
    if rest:
        lines.append(f"- and {rest} more")
    return ["Kiln's secret scan found what look like API keys or tokens written into the "
            "source (masked here):", *lines,
            "Take each one out of the document. For a language model, use kiln.complete(); "
            "for another service, let the person paste their own key into the page when they "
            "use it (kept with localStorage), never in the source."]


def _prefix_only(preview: str) -> str:
    """The model is not shown even the last characters: the line and kind find it."""
    return preview if "…" not in preview else preview.split("…", 1)[0] + "…"


def fix_words(number: int, result: Scan, also: bool = False) -> str:
    """What a repair asks of the secrets, as the conversation shows it: "Take out
    of v3 what looks like a GitHub token (line 12), and 2 more." (``also``: after
    the errors it fixes)."""
    first = result.findings[0]
    more = f", and {result.count - 1} more" if result.count > 1 else ""
    lead = "Also take out" if also else f"Take out of v{number}"
    return f"{lead} what looks like {_article(first.kind)} {first.kind} (line {first.line}){more}."
