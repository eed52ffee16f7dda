"""Go's net/url Parse, reduced to what Nomad's check validation asks of it: does it parse, and with a scheme?

ServiceCheck.validateCommon (nomad/structs/services.go) refuses an http check whose path url.Parse rejects, and
one whose parsed URL IsAbs (has a scheme). This follows net/url's parse: control bytes, the scheme, a colon in
the first segment of a schemeless path, the authority's userinfo, host and port, and %-escapes.
"""

from __future__ import annotations

import re

_HEX = "0123456789abcdefABCDEF"
_SCHEME_CHAR = re.compile(r"[A-Za-z0-9+.\-]")
_USERINFO_OK = re.compile(r"[A-Za-z0-9\-._:~!$&'()*+,;=%@]*")
# url.shouldEscape(c, encodeHost) leaves these unescaped besides letters and digits.
_HOST_OK = set("-._~!$&'()*+,;=:[]<>\"")


class UrlError(ValueError):
    """url.Parse failed."""


def parse_scheme(raw: str) -> str:
    """The URL's scheme ("" without one), as url.Parse reads it; UrlError when Go would not parse it."""
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in raw):
        raise UrlError("invalid control character in URL")
    rest, _, fragment = raw.partition("#")
    _unescape(fragment)
    if rest == "*":
        return ""
    scheme, rest = _get_scheme(rest)
    rest = rest.partition("?")[0]  # the query is kept raw, never checked
    if not rest.startswith("/"):
        if scheme:
            return scheme.lower()  # an opaque URL such as mailto:x
        if ":" in rest.partition("/")[0]:
            raise UrlError("first path segment in URL cannot contain colon")
    if (scheme or not rest.startswith("///")) and rest.startswith("//"):
        authority, slash, path = rest[2:].partition("/")
        _check_authority(authority)
        rest = slash + path
    _unescape(rest)
    return scheme.lower()


def _get_scheme(raw: str) -> tuple[str, str]:
    """url.getScheme: letters first, then letters, digits, + - . up to a colon; anything else means no scheme."""
    for index, char in enumerate(raw):
        if char.isascii() and char.isalpha():
            continue
        if _SCHEME_CHAR.fullmatch(char) and char.isascii():
            if index == 0:
                return "", raw
            continue
        if char == ":":
            if index == 0:
                raise UrlError("missing protocol scheme")
            return raw[:index], raw[index + 1 :]
        return "", raw
    return "", raw


def _check_authority(authority: str) -> None:
    """url.parseAuthority: valid userinfo before the last @, then the host."""
    userinfo, at, host = authority.rpartition("@")
    if at and not _USERINFO_OK.fullmatch(userinfo):
        raise UrlError("net/url: invalid userinfo")
    if at:
        _unescape(userinfo)
    _check_host(host)


def _check_host(host: str) -> None:
    """url.parseHost: a bracketed IPv6 literal or a name, then an optional numeric port; host escapes checked."""
    if host.startswith("["):
        end = host.find("]")
        if end < 0:
            raise UrlError("missing ']' in host")
        if not _valid_port(host[end + 1 :]):
            raise UrlError("invalid port after host")
    elif ":" in host:
        port = host[host.rindex(":") :]
        if not _valid_port(port):
            raise UrlError("invalid port after host")
    _unescape(host, host_mode=True)


def _valid_port(port: str) -> bool:
    """url.validOptionalPort: empty, or a colon and digits."""
    return port == "" or (port.startswith(":") and all(c in "0123456789" for c in port[1:]))


def _unescape(text: str, *, host_mode: bool = False) -> None:
    """url.unescape's checks: every % starts two hex digits; in a host, only non-ASCII bytes (or %25) are escaped
    and no byte that needs escaping appears as is."""
    index = 0
    while index < len(text):
        char = text[index]
        if char == "%":
            code = text[index + 1 : index + 3]
            if len(code) < 2 or code[0] not in _HEX or code[1] not in _HEX:
                raise UrlError(f"invalid URL escape {text[index : index + 3]!r}")
            if host_mode and int(code[0], 16) < 8 and code != "25":
                raise UrlError(f"invalid URL escape {text[index : index + 3]!r}")
            index += 3
            continue
        if host_mode and char.isascii() and not char.isalnum() and char not in _HOST_OK:
            raise UrlError(f"invalid character {char!r} in host name")
        index += 1
