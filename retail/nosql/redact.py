"""Keep credentials out of logs, metadata and error messages.

A MongoDB URI may carry a user name and password (`mongodb://user:secret@host/`) and, in its
query string, other secrets (`tlsCertificateKeyFilePassword`, AWS session tokens in
`authMechanismProperties`). Everything this package shows a person passes through here first.

People mistype URIs, and a mistyped URI is exactly the one that ends up in an error message:
so credentials are found whatever the scheme (`mongo://`, `mongodb:/`, `https://`) and without
one (`user:secret@host/db`), and a password holding an unescaped `@` or `/` is masked whole.
"""

from __future__ import annotations

import re
from urllib.parse import quote, quote_plus, unquote, unquote_plus

MASK = "***"

_SCHEME = r"(?:[A-Za-z][A-Za-z0-9+.\-]*:/*)"
# In free text: [scheme:[//]]user:password@ . The password runs up to the LAST '@' before the
# host (greedy, no '/', '?', '#' or space), so an unescaped '@' in it is masked too.
_USERINFO = re.compile(
    rf"(?P<prefix>{_SCHEME}?(?P<user>[^\s:/?#@'\"<>()\[\]]*)):(?P<password>[^\s/?#'\"<>]*)@"
)
_SECRET_PARAMS = re.compile(
    r"((?:password|tlsCertificateKeyFilePassword|sslPEMKeyPassword|sslClientCertificateKeyPassword"
    r"|authMechanismProperties)=)([^&\s'\"]*)",
    re.IGNORECASE,
)
_LEADING_SCHEME = re.compile(rf"^\s*{_SCHEME}")


def _uri_password(uri: str) -> str | None:
    """The password of ONE URI, parsed leniently: everything between the first ':' after the
    scheme and the last '@' before the query string (so `a:b/c@d@host` gives `b/c@d`)."""
    head = uri.split("?", 1)[0]
    userinfo, at, _hosts = head.rpartition("@")
    if not at:
        return None
    userinfo = _LEADING_SCHEME.sub("", userinfo)
    _user, colon, password = userinfo.partition(":")
    return password if colon and password else None


def _mask_params(text: str) -> str:
    return _SECRET_PARAMS.sub(lambda m: m.group(1) + MASK, text)


def _mask_userinfo(text: str) -> str:
    return _USERINFO.sub(lambda m: f"{m.group('prefix')}:{MASK}@", text)


def redact_uri(uri: str) -> str:
    """The URI with its password and secret query parameters replaced by `***`.

    The user name stays (it helps a person see which account failed); the password never does.
    """
    password = _uri_password(uri)
    if password:
        head, question, query = uri.partition("?")
        cut = head.rfind("@")
        start = cut - len(password)
        head = head[:start] + MASK + head[cut:]
        uri = head + question + query
    return _mask_params(_mask_userinfo(uri))


def secrets_in(uri: str | None) -> list[str]:
    """The secret substrings of a URI, raw and percent-decoded/encoded, longest first."""
    if not uri:
        return []
    found: set[str] = set()
    password = _uri_password(uri)
    if password:
        found.add(password)
    for match in _USERINFO.finditer(uri):
        if match.group("password"):
            found.add(match.group("password"))
    for match in _SECRET_PARAMS.finditer(uri):
        if match.group(2):
            found.add(match.group(2))
    variants = {v for secret in found
                for v in (secret, unquote(secret), unquote_plus(secret), quote(secret, safe=""),
                          quote_plus(secret))}
    # a one-character secret would mask every such letter of the text: masked structurally only
    return sorted((v for v in variants if len(v) > 1), key=len, reverse=True)


def redact_text(text: str, uri: str | None) -> str:
    """Any text (an exception message, a log line) with the URI's secrets masked.

    Every literal occurrence of a secret from `uri` is masked first (whole, even when it holds
    an `@` or `/`, and in its percent-encoded forms), then URI-looking strings in the text are
    redacted structurally, whatever their scheme.
    """
    for secret in secrets_in(uri):
        text = text.replace(secret, MASK)
    return _mask_params(_mask_userinfo(text))
