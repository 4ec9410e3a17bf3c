"""What an uploaded file must be before it is stored: an allowed extension whose content agrees with it
(magic bytes, no active markup in text types), not empty, within the size limit, at most 20 per request.
Image dimensions are read from the headers here, so no imaging library is needed."""

from __future__ import annotations

import os
import re
import struct
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO

from ...errors import Invalid, invalid
from ...settings import active

# Upstream's Request::$file_validation list, in its order (the 422 message repeats it).
ALLOWED = (
    "png",
    "ai",
    "jpeg",
    "jpg",
    "tiff",
    "pdf",
    "gif",
    "psd",
    "txt",
    "doc",
    "xls",
    "ppt",
    "xlsx",
    "docx",
    "pptx",
    "webp",
    "xml",
    "zip",
    "csv",
    "ods",
    "odt",
    "odp",
)
MAX_FILES = 20
NAME_MAX = 191
HEAD_BYTES = 4096
STORED_NAME = re.compile(r"^[0-9a-f]{40}\.[a-z0-9]{1,16}$")

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # doc/xls/ppt compound file
_ZIP = b"PK\x03\x04"  # every OOXML and OpenDocument file is a zip
MAGIC: dict[str, tuple[bytes, ...]] = {
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpeg": (b"\xff\xd8\xff",),
    "jpg": (b"\xff\xd8\xff",),
    "gif": (b"GIF87a", b"GIF89a"),
    "pdf": (b"%PDF-",),
    "ai": (b"%PDF-", b"%!PS-Adobe"),
    "tiff": (b"II*\x00", b"MM\x00*"),
    "psd": (b"8BPS",),
    "doc": (_OLE,),
    "xls": (_OLE,),
    "ppt": (_OLE,),
    "xlsx": (_ZIP,),
    "docx": (_ZIP,),
    "pptx": (_ZIP,),
    "ods": (_ZIP,),
    "odt": (_ZIP,),
    "odp": (_ZIP,),
    "zip": (_ZIP, b"PK\x05\x06"),
}
TEXT_TYPES = frozenset({"txt", "csv", "xml"})
# Markup a browser would run if it ever rendered the file: refused even under a text extension.
ACTIVE_MARKUP = (b"<!doctype html", b"<html", b"<head", b"<body", b"<script", b"<svg", b"<iframe", b"<?php")
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


@dataclass
class Checked:
    upload: Any  # starlette UploadFile; only its sync `.file` is used (in a worker thread)
    name: str
    ext: str
    size: int
    width: int = 0
    height: int = 0
    stored: str = ""


# ---- names and values -----------------------------------------------------------------------------
def clean_name(raw: str) -> str:
    """The original filename as safe metadata: separators become `-`, control and format characters
    (NUL, CR/LF, bidi overrides, zero-width) go, no leading dots, at most 191 characters with the
    extension kept."""
    text = unicodedata.normalize("NFC", raw or "").replace("/", "-").replace("\\", "-")
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Zl", "Zp"))
    text = text.strip().lstrip(".-").strip()
    if len(text) > NAME_MAX:
        stem, dot, ext = text.rpartition(".")
        keep = dot and 0 < len(ext) <= 16
        text = stem[: NAME_MAX - len(ext) - 1].rstrip() + "." + ext if keep else text[:NAME_MAX]
    return text


def extension(name: str) -> str:
    stem, dot, ext = name.rpartition(".")
    return ext.lower() if dot and stem else ""


def parse_public(value: Any) -> bool:
    """true/false/1/0/"true"/"false"; absent or "" means the upstream default, true."""
    if value is None or value == "":
        return True
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("1", "true", "0", "false"):
        return value.strip().lower() in ("1", "true")
    raise invalid("is_public", "The is public field must be true or false.")


# ---- content checks -------------------------------------------------------------------------------
def _content_matches(ext: str, head: bytes) -> bool:
    if ext == "webp":
        return head[:4] == b"RIFF" and head[8:12] == b"WEBP"
    if ext in MAGIC:
        return head.startswith(MAGIC[ext])
    if ext in TEXT_TYPES:
        if head.startswith(UTF16_BOMS):
            return True
        sample = head.removeprefix(b"\xef\xbb\xbf").lstrip().lower()
        if b"\x00" in head or sample.startswith(ACTIVE_MARKUP):
            return False
        return not (ext == "xml" and (b"<svg" in sample or b"/1999/xhtml" in sample))
    return True  # an extension the operator added: no signature to compare


def _jpeg_size(f: BinaryIO) -> tuple[int, int]:
    """Walk the segment chain to the first SOF marker; a malformed chain just means no dimensions."""
    f.seek(2)
    for _ in range(1000):
        byte = f.read(1)
        if byte != b"\xff":
            return 0, 0
        while byte == b"\xff":  # fill bytes before the marker code
            byte = f.read(1)
        if not byte:
            return 0, 0
        marker = byte[0]
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:  # markers without a length
            continue
        if marker in (0xD9, 0xDA):  # end of image / scan data before any frame
            return 0, 0
        raw = f.read(2)
        if len(raw) < 2 or struct.unpack(">H", raw)[0] < 2:
            return 0, 0
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            frame = f.read(5)
            if len(frame) < 5:
                return 0, 0
            height, width = struct.unpack(">xHH", frame)
            return width, height
        f.seek(struct.unpack(">H", raw)[0] - 2, 1)
    return 0, 0


def _dimensions(ext: str, head: bytes, f: BinaryIO) -> tuple[int, int]:
    if ext == "png" and head[12:16] == b"IHDR" and len(head) >= 24:
        width, height = struct.unpack(">II", head[16:24])
        return (width, height) if width < 2**31 and height < 2**31 else (0, 0)
    if ext == "gif" and len(head) >= 10:
        return struct.unpack("<HH", head[6:10])
    if ext in ("jpeg", "jpg"):
        return _jpeg_size(f)
    return 0, 0


def _check_one(index: int, upload: Any, allowed: Sequence[str], limit: int) -> Checked | str:
    """-> the checked file, or the 422 message for `documents.<index>`."""
    key = f"documents.{index}"
    name = clean_name(str(getattr(upload, "filename", "") or ""))
    ext = extension(name)
    f = upload.file
    size = f.seek(0, os.SEEK_END)
    f.seek(0)
    head = f.read(HEAD_BYTES)
    if size == 0:
        return f"The {key} must not be an empty file."
    if size > limit:
        return f"The {key} may not be greater than {limit // 1024} kilobytes."
    if ext not in allowed or not re.fullmatch(r"[a-z0-9]{1,16}", ext) or not _content_matches(ext, head):
        return f"The {key} must be a file of type: {', '.join(allowed)}."
    width, height = _dimensions(ext, head, f)
    return Checked(upload, name, ext, size, width, height)


def check_all(files: Sequence[Any], is_public: Any) -> tuple[bool, list[Checked]]:
    settings = active()
    allowed = list(ALLOWED) + [e for e in settings.extra_upload_extensions if e not in ALLOWED]
    errors: dict[str, list[str]] = {}
    public = True
    try:
        public = parse_public(is_public)
    except Invalid as exc:
        errors.update(exc.errors)
    if len(files) > MAX_FILES:
        errors["documents"] = [f"The documents may not have more than {MAX_FILES} items."]
        raise Invalid(errors)
    checked: list[Checked] = []
    for index, upload in enumerate(files):
        result = _check_one(index, upload, allowed, settings.upload_max_bytes)
        if isinstance(result, str):
            errors[f"documents.{index}"] = [result]
        else:
            checked.append(result)
    if errors:
        raise Invalid(errors)
    return public, checked
