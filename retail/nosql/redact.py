"""Keep credentials out of logs, metadata and error messages.

A MongoDB URI may carry a user name and password (`mongodb://user:secret@host/`) and, in its
query string, other secrets (`tlsCertificateKeyFilePassword`, AWS session tokens in
`authMechanismProperties`). Everything this package shows a person passes through here first.
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote

MASK = "***"

# scheme://userinfo@ : userinfo is everything up to the LAST '@' before the host list.
_USERINFO = re.compile(r"(mongodb(?:\+srv)?://)([^/?#\s]*)@", re.IGNORECASE)
_SECRET_PARAMS = re.compile(
    r"((?:password|tlsCertificateKeyFilePassword|sslPEMKeyPassword|authMechanismProperties)=)"
    r"([^&\s]*)",
    re.IGNORECASE,
)


def redact_uri(uri: str) -> str:
    """The URI with its password and secret query parameters replaced by `***`.

    The user name stays (it helps a person see which account failed); the password never does.
    """

    def mask_userinfo(match: re.Match[str]) -> str:
        user, sep, _password = match.group(2).partition(":")
        return f"{match.group(1)}{user}{':' + MASK if sep else ''}@"

    return _SECRET_PARAMS.sub(lambda m: m.group(1) + MASK, _USERINFO.sub(mask_userinfo, uri))


def secrets_in(uri: str | None) -> list[str]:
    """The secret substrings of a URI, raw and percent-decoded/encoded, longest first."""
    if not uri:
        return []
    found: set[str] = set()
    for match in _USERINFO.finditer(uri):
        _user, sep, password = match.group(2).partition(":")
        if sep and password:
            found.add(password)
    for match in _SECRET_PARAMS.finditer(uri):
        if match.group(2):
            found.add(match.group(2))
    variants = {v for secret in found for v in (secret, unquote(secret), quote(secret, safe=""))}
    return sorted((v for v in variants if v), key=len, reverse=True)


def redact_text(text: str, uri: str | None) -> str:
    """Any text (an exception message, a log line) with the URI's secrets masked.

    URIs in the text are redacted structurally, then every literal occurrence of a secret from
    `uri` is masked too, in case a driver echoed it in another form.
    """
    text = redact_uri(text)
    for secret in secrets_in(uri):
        text = text.replace(secret, MASK)
    return text
