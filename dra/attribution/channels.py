"""Channel classification from UTM parameters and the referrer (UC-ATT-01).

Order: paid > social > email > organic > referral > direct > other.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

PAID_MEDIUMS = frozenset({"cpc", "ppc", "cpm", "cpp", "cpv", "cpa", "paid"})
SOCIAL_MEDIUMS = frozenset({"social", "social-media", "sm"})
EMAIL_MEDIUMS = frozenset({"email", "e-mail", "newsletter"})
ORGANIC_MEDIUMS = frozenset({"organic", "search"})

SOCIAL_DOMAINS = (
    "facebook.com",
    "fb.com",
    "instagram.com",
    "twitter.com",
    "x.com",
    "t.co",
    "linkedin.com",
    "lnkd.in",
    "pinterest.com",
    "reddit.com",
    "tiktok.com",
    "youtube.com",
    "snapchat.com",
    "threads.net",
    "mastodon.social",
    "bsky.app",
)
SEARCH_DOMAINS = (
    "google.",
    "bing.com",
    "yahoo.",
    "duckduckgo.com",
    "baidu.com",
    "yandex.",
    "ecosia.org",
    "ask.com",
    "search.brave.com",
    "startpage.com",
    "qwant.com",
)

CHANNELS = ("paid", "social", "email", "organic", "referral", "direct", "other")
UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")


def referrer_host(referrer: str | None) -> str:
    """The referrer's host name in lower case without ``www.`` ('' when none)."""
    if not referrer:
        return ""
    text = referrer.strip()
    if "//" not in text:
        text = "//" + text
    try:
        host = (urlsplit(text).hostname or "").lower()
    except ValueError:
        return ""
    return host[4:] if host.startswith("www.") else host


SOCIAL_SET = frozenset(SOCIAL_DOMAINS)
SEARCH_SET = frozenset(d for d in SEARCH_DOMAINS if not d.endswith("."))
SEARCH_LABELS = frozenset(d[:-1] for d in SEARCH_DOMAINS if d.endswith("."))


def _matches(host: str, domains: frozenset[str], names: frozenset[str] = frozenset()) -> bool:
    """Whether ``host`` is one of ``domains`` or a subdomain of one, or has one of
    ``names`` as a label before its top-level domain (google.com, google.co.uk)."""
    if not host:
        return False
    labels = host.split(".")
    if not names.isdisjoint(labels[:-1]):
        return True
    return any(".".join(labels[i:]) in domains for i in range(len(labels)))


def is_social_referrer(referrer: str | None) -> bool:
    return _matches(referrer_host(referrer), SOCIAL_SET)


def is_search_referrer(referrer: str | None) -> bool:
    return _matches(referrer_host(referrer), SEARCH_SET, SEARCH_LABELS)


def classify_channel(
    utm_source: str | None = None, utm_medium: str | None = None, referrer: str | None = None
) -> str:
    """The marketing channel of one event."""
    source = (utm_source or "").strip().lower()
    medium = (utm_medium or "").strip().lower()
    host = referrer_host(referrer)
    if medium in PAID_MEDIUMS:
        return "paid"
    if medium in SOCIAL_MEDIUMS or _matches(host, SOCIAL_SET):
        return "social"
    if medium in EMAIL_MEDIUMS:
        return "email"
    if medium in ORGANIC_MEDIUMS or _matches(host, SEARCH_SET, SEARCH_LABELS):
        return "organic"
    if host and not source:
        return "referral"
    if not source and not medium and not host:
        return "direct"
    return "other"


def utm_from_url(page_url: str | None) -> dict[str, str]:
    """UTM parameters found in a page URL's query string."""
    if not page_url or "utm_" not in page_url:
        return {}
    try:
        query = parse_qs(urlsplit(page_url).query)
    except ValueError:
        return {}
    return {k: query[k][0].strip() for k in UTM_FIELDS if query.get(k) and query[k][0].strip()}
