"""Read a config file's bytes into text, refusing what is not a small UTF-8 text file.

Checked before YAML sees anything: a file that is huge, binary, UTF-16 or a folder gets
one clear error with its place instead of a parser failing somewhere inside it.
"""

from __future__ import annotations

from pathlib import Path

from reconciler.errors import ConfigError, Issue
from reconciler.model import Location

#: Generous for a hand-written or imported config (10,000 groups with rules take about
#: 1 MB), small enough that parsing stays quick and bounded in memory.
MAX_FILE_BYTES = 4 * 1024 * 1024

_BOMS = {
    b"\xff\xfe\x00\x00": "UTF-32",
    b"\x00\x00\xfe\xff": "UTF-32",
    b"\xff\xfe": "UTF-16",
    b"\xfe\xff": "UTF-16",
}


def read_config_text(path: Path, file: str) -> str:
    """The text of `path`, or a `ConfigError` saying what is wrong and what to do."""
    try:
        with path.open("rb") as handle:
            # One byte more than allowed tells "too big" without reading a huge file whole.
            data = handle.read(MAX_FILE_BYTES + 1)
            size = _size(path, len(data))
    except FileNotFoundError:
        reason = "config file not found"
    except IsADirectoryError:
        reason = "is a folder, not a config file; give the path of a YAML file in it"
    except PermissionError:
        reason = "config file cannot be read: permission denied"
    except OSError as exc:
        reason = f"config file cannot be read: {exc.strerror}"
    else:
        if size > MAX_FILE_BYTES:
            raise _refuse(
                Location(file, 1, 1),
                f"the config file is {_mb(size)} ({size:,} bytes), over the "
                f"{_mb(MAX_FILE_BYTES)} limit; split it or remove what it need not hold",
            )
        return _decode(data, file)
    raise ConfigError([Issue(None, f"{file}: {reason}")]) from None


def _size(path: Path, read: int) -> int:
    try:
        return max(path.stat().st_size, read)
    except OSError:
        return read


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MiB"


def _decode(data: bytes, file: str) -> str:
    for bom, encoding in _BOMS.items():
        if data.startswith(bom):
            raise _refuse(
                Location(file, 1, 1),
                f"the config file is {encoding} text (it starts with a {encoding} byte order "
                "mark); save it as UTF-8",
            )
    nul = data.find(b"\x00")
    if nul >= 0:
        where = _place(data, nul, file)
        if _looks_utf16(data):
            raise _refuse(
                Location(file, 1, 1),
                "the config file looks like UTF-16 text without a byte order mark "
                "(every other byte is zero); save it as UTF-8",
            )
        raise _refuse(where, "the config file is binary (a zero byte); give a YAML text file")
    try:
        # utf-8-sig: editors on Windows may start the file with a byte order mark.
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _refuse(
            _place(data, exc.start, file),
            f"the config file is not UTF-8 text (byte 0x{data[exc.start]:02X} cannot start "
            "a character here); save it as UTF-8",
        ) from None
    # The same newline handling as text mode: CRLF and CR both end a line.
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _looks_utf16(data: bytes) -> bool:
    sample = data[:4096]
    even, odd = sample[0::2], sample[1::2]
    # ASCII-range text in UTF-16 has a zero in one half of the bytes and few in the other.
    return bool(sample) and (even.count(0) > 0.9 * len(even) or odd.count(0) > 0.9 * len(odd))


def _place(data: bytes, offset: int, file: str) -> Location:
    line_start = data.rfind(b"\n", 0, offset) + 1
    column = len(data[line_start:offset].decode("utf-8", errors="replace")) + 1
    return Location(file, data.count(b"\n", 0, offset) + 1, column)


def _refuse(where: Location, message: str) -> ConfigError:
    return ConfigError([Issue(where, message)])
