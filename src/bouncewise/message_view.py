"""The message view the decoders read: an email.message.Message tree (compat32) whose
header lookups, content types and parameters are answered from an index built once per
part, and the parser that builds that tree from the message's bytes in one pass
(formats/_mime.py), giving the same tree as email.parser.BytesParser(policy=compat32)."""

from __future__ import annotations

from email._policybase import compat32
from email.message import Message, _parseparam
from email.utils import unquote as _unquote
from typing import Any


def parse_bytes(data: bytes) -> Message:
    """The message tree of ``data`` (IndexedMessage parts)."""
    from bouncewise.formats._mime import parse_bytes as _parse

    return _parse(data, IndexedMessage)


class IndexedMessage(Message):
    """A compat32 Message whose header lookups use an index built on first use (format
    decoders ask for the same few headers many times). Any change to the headers drops
    the index."""

    _index: dict[str, tuple[str, Any, Any]] | None = None

    def _reindex(self) -> dict[str, tuple[str, Any, Any]]:
        # name -> (name as written, raw value, the value get() returns when that is the raw
        # string itself: compat32 hands back an ASCII str unchanged)
        index: dict[str, tuple[str, Any, Any]] = {}
        plain = self.policy is compat32
        for k, v in self._headers:
            key = k.lower()
            if key not in index:
                index[key] = (k, v, v if plain and type(v) is str and v.isascii() else None)
        self._index = index
        return index

    def get(self, name: str, failobj: Any = None) -> Any:
        index = self._index if self._index is not None else self._reindex()
        hit = index.get(name.lower())
        if hit is None:
            return failobj
        if hit[2] is not None:
            return hit[2]
        return self.policy.header_fetch_parse(hit[0], hit[1])

    def get_param(self, param: str, failobj: Any = None, header: str = "content-type", unquote: bool = True) -> Any:
        """Message.get_param, quicker for the usual header value (plain ASCII text without
        RFC 2231 parameters or backslash escapes, where the result is the same)."""
        params = self._params(header) if unquote else None
        if params is None:
            return super().get_param(param, failobj, header, unquote)
        if not params:
            return failobj
        want = param.lower()
        for name, value in params:
            if name.lower() == want:
                return _unquote(value)
        return failobj

    def _params(self, header: str) -> list[tuple[str, str]] | None:
        """(name, raw value) pairs of a header's parameters as Message._get_params_preserve
        splits them; [] when the header is absent; None when the value needs the full
        treatment (RFC 2231 names, escapes, non-ASCII)."""
        cache = self.__dict__.get("_bw_params")
        key = header.lower()
        if cache is not None and key in cache:
            return cache[key]
        value = self.get(header)
        params: list[tuple[str, str]] | None
        if value is None:
            params = []
        elif type(value) is not str or "*" in value or "\\" in value or not value.isascii():
            params = None
        else:
            params = []
            for p in _parseparam(value):
                name, sep, val = p.partition("=")
                params.append((name.strip(), val.strip()) if sep else (p.strip(), ""))
        if cache is None:
            cache = self.__dict__["_bw_params"] = {}
        cache[key] = params
        return params

    def get_content_type(self) -> str:
        cached = self.__dict__.get("_bw_ctype")
        if cached is None:  # Message.get_content_type, in short
            if self._index is None:  # no index yet: a scan is cheaper than building one
                value = None
                for k, v in self._headers:
                    if len(k) == 12 and k.lower() == "content-type":
                        value = self.policy.header_fetch_parse(k, v)
                        break
            else:
                value = self.get("content-type")
            if value is None:
                cached = self.get_default_type()
            else:
                cached = str(value).partition(";")[0].strip().lower()
                if cached.count("/") != 1:
                    cached = "text/plain"
            self.__dict__["_bw_ctype"] = cached
        return cached

    def __contains__(self, name: object) -> bool:
        index = self._index if self._index is not None else self._reindex()
        return isinstance(name, str) and name.lower() in index

    def _changed(self) -> None:
        self._index = None
        self.__dict__.pop("_bw_headers", None)
        self.__dict__.pop("_bw_lower", None)
        self.__dict__.pop("_bw_ctype", None)
        self.__dict__.pop("_bw_params", None)
        self.__dict__.pop("_bw_text", None)

    def __setitem__(self, name: str, val: Any) -> None:
        super().__setitem__(name, val)
        self._changed()

    def __delitem__(self, name: str) -> None:
        super().__delitem__(name)
        self._changed()

    def set_raw(self, name: str, value: Any) -> None:
        super().set_raw(name, value)
        self._changed()

    def add_header(self, _name: str, _value: str, **_params: Any) -> None:
        super().add_header(_name, _value, **_params)
        self._changed()

    def replace_header(self, _name: str, _value: Any) -> None:
        super().replace_header(_name, _value)
        self._changed()

    def set_param(self, *args: Any, **kw: Any) -> None:
        super().set_param(*args, **kw)
        self._changed()

    def del_param(self, *args: Any, **kw: Any) -> None:
        super().del_param(*args, **kw)
        self._changed()

    def set_type(self, *args: Any, **kw: Any) -> None:
        super().set_type(*args, **kw)
        self._changed()

    def set_boundary(self, boundary: str) -> None:
        super().set_boundary(boundary)
        self._changed()
