"""Documents end to end: uploads on every path, the stored files, download, update, delete, bulk, list
filters, and the hostile inputs (each rejection leaves rows and files as they were)."""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from dataclasses import replace
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from starlette.datastructures import UploadFile

from app import ids
from app import settings as settings_module
from app.auth import Principal
from app.entities import REGISTRY
from app.services.files import documents, uploads
from app.settings import Settings

MAX_UPLOAD = 64 * 1024
MAX_BODY = 512 * 1024
DOCUMENT_KEYS = {
    "id",
    "user_id",
    "assigned_user_id",
    "project_id",
    "vendor_id",
    "url",
    "preview",
    "name",
    "type",
    "disk",
    "hash",
    "size",
    "width",
    "height",
    "is_default",
    "is_public",
    "is_deleted",
    "link",
    "created_at",
    "updated_at",
    "archived_at",
}
TYPE_MESSAGE = (
    "must be a file of type: png, ai, jpeg, jpg, tiff, pdf, gif, psd, txt, doc, xls, ppt, xlsx, docx, "
    "pptx, webp, xml, zip, csv, ods, odt, odp."
)
STORED = re.compile(r"^[0-9a-f]{40}\.[a-z0-9]+$")


@pytest.fixture
def settings(upload_dir: Path) -> Settings:
    """Small limits so the size checks are exercised without megabytes of test data."""
    return Settings(
        database_url="",
        token_cache_seconds=0,
        upload_dir=upload_dir,
        base_url="http://testserver",
        upload_max_bytes=MAX_UPLOAD,
        max_body_bytes=MAX_BODY,
    )


# ---- sample files -------------------------------------------------------------------------------
def png(width: int = 3, height: int = 2) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\x00" * width * 3 for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def jpeg(width: int = 640, height: int = 480) -> bytes:
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    exif = b"\xff\xe1" + struct.pack(">H", 2 + 300) + b"Exif\x00\x00" + b"\x00" * 294
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 17, 8, height, width, 3) + b"\x01\x22\x00\x02\x11\x01\x03\x11\x01"
    return b"\xff\xd8" + app0 + exif + sof + b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00" + b"\x00" * 16 + b"\xff\xd9"


def gif(width: int = 7, height: int = 5) -> bytes:
    return b"GIF89a" + struct.pack("<HH", width, height) + b"\x00\x00\x00" + b";"


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"


def raw_multipart(parts: list[tuple[str, str | None, bytes]]) -> tuple[bytes, dict[str, str]]:
    """A multipart body written byte by byte, so filenames reach the server exactly as an attacker sends
    them (httpx would escape some characters). Each part is (field, filename or None, content)."""
    boundary = "lightninjaBoundary7MA4YWxk"
    out = io.BytesIO()
    for field, filename, content in parts:
        out.write(f"--{boundary}\r\n".encode())
        disposition = f'form-data; name="{field}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        out.write(f"Content-Disposition: {disposition}\r\n".encode("utf-8", "surrogateescape"))
        if filename is not None:
            out.write(b"Content-Type: application/octet-stream\r\n")
        out.write(b"\r\n" + content + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), {"Content-Type": f"multipart/form-data; boundary={boundary}"}


# ---- helpers ------------------------------------------------------------------------------------
async def new_client(api: Any, name: str = "ACME") -> str:
    r = await api.post("/api/v1/clients", json={"name": name})
    assert r.status_code == 200, r.text
    return r.json()["data"]["id"]


async def upload(api: Any, client_id: str, *files: tuple[str, bytes], **fields: str) -> Any:
    return await api.put(
        f"/api/v1/clients/{client_id}/upload",
        data=fields,
        files=[("documents[]", (name, content, "application/octet-stream")) for name, content in files],
    )


async def one_document(
    api: Any, client_id: str, name: str = "report.pdf", content: bytes = PDF, **fields: str
) -> dict[str, Any]:
    r = await upload(api, client_id, (name, content), **fields)
    assert r.status_code == 200, r.text
    return r.json()["data"]["documents"][-1]


def listing(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


async def state(db: Any, root: Path) -> tuple[Any, list[str]]:
    rows = await db.fetch("SELECT id, name, is_public, hash FROM documents ORDER BY id")
    return [tuple(r) for r in rows], listing(root)


def stored_file(root: Path, doc: dict[str, Any]) -> Path:
    matches = list(root.glob(f"*/{doc['hash']}"))
    assert len(matches) == 1, matches
    return matches[0]


def assert_document_shape(doc: dict[str, Any]) -> None:
    assert set(doc) == DOCUMENT_KEYS
    assert all(value is not None for value in doc.values())
    assert doc["url"] == f"http://testserver/api/v1/documents/{doc['id']}/download"
    assert doc["disk"] == "local" and doc["preview"] == "" and doc["is_default"] is False
    assert doc["is_deleted"] is False and doc["archived_at"] == 0
    assert doc["assigned_user_id"] == "" and doc["project_id"] == "" and doc["vendor_id"] == ""
    assert STORED.match(doc["hash"]) and doc["hash"].endswith("." + doc["type"])
    assert isinstance(doc["created_at"], int) and doc["created_at"] > 0 and doc["updated_at"] >= doc["created_at"]


# ---- upload paths -------------------------------------------------------------------------------
async def test_put_upload_stores_files_and_returns_the_client(api, tenant_a, upload_dir, db):
    client_id = await new_client(api)
    r = await upload(
        api,
        client_id,
        ("report.pdf", PDF),
        ("photo.png", png(3, 2)),
        ("scan.jpg", jpeg(640, 480)),
        ("anim.gif", gif(7, 5)),
    )
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert data["id"] == client_id and data["name"] == "ACME"
    docs = data["documents"]
    assert [d["name"] for d in docs] == ["report.pdf", "photo.png", "scan.jpg", "anim.gif"]
    assert [ids.decode(d["id"]) for d in docs] == sorted(ids.decode(d["id"]) for d in docs)
    for doc in docs:
        assert_document_shape(doc)
        assert doc["user_id"] == tenant_a.user_id and doc["link"] == f"/clients/{client_id}"
        assert doc["is_public"] is True
    assert [(d["type"], d["size"], d["width"], d["height"]) for d in docs] == [
        ("pdf", len(PDF), 0, 0),
        ("png", len(png(3, 2)), 3, 2),
        ("jpg", len(jpeg()), 640, 480),
        ("gif", len(gif()), 7, 5),
    ]
    company_id = await db.fetchval("SELECT id FROM companies WHERE id = $1", ids.decode(tenant_a.company_id))
    expected = sorted(f"{company_id}/{d['hash']}" for d in docs) + [str(company_id)]
    assert listing(upload_dir) == sorted(expected)  # generated names only, no temporary files left
    assert stored_file(upload_dir, docs[0]).read_bytes() == PDF
    assert stored_file(upload_dir, docs[1]).read_bytes() == png(3, 2)


async def test_post_upload_with_method_put(api, upload_dir, db):
    client_id = await new_client(api)
    r = await api.post(
        f"/api/v1/clients/{client_id}/upload",
        data={"_method": "PUT"},
        files=[("documents[]", ("notes.txt", b"plain words\n", "text/plain"))],
    )
    assert r.status_code == 200, r.text
    assert [d["name"] for d in r.json()["data"]["documents"]] == ["notes.txt"]
    before = await state(db, upload_dir)
    r = await api.post(
        f"/api/v1/clients/{client_id}/upload", files=[("documents[]", ("notes.txt", b"more\n", "text/plain"))]
    )
    assert r.status_code == 405
    assert await state(db, upload_dir) == before


async def test_post_entity_route_with_method_put_updates_and_attaches(api, upload_dir):
    client_id = await new_client(api)
    r = await api.post(
        f"/api/v1/clients/{client_id}",
        data={"_method": "PUT", "name": "Renamed Ltd"},
        files=[("documents[]", ("contract.pdf", PDF, "application/pdf"))],
    )
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert data["name"] == "Renamed Ltd"
    assert [d["name"] for d in data["documents"]] == ["contract.pdf"]
    r = await api.get(f"/api/v1/clients/{client_id}")
    assert r.json()["data"]["name"] == "Renamed Ltd" and len(r.json()["data"]["documents"]) == 1


async def test_real_multipart_put_on_the_entity_route(api, upload_dir):
    client_id = await new_client(api)
    r = await api.put(
        f"/api/v1/clients/{client_id}",
        data={"name": "Multipart Co", "is_public": "false"},
        files=[("documents[]", ("a.pdf", PDF, "application/pdf")), ("documents[]", ("b.png", png(), "image/png"))],
    )
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert data["name"] == "Multipart Co"
    assert [(d["name"], d["is_public"]) for d in data["documents"]] == [("a.pdf", False), ("b.png", False)]


async def test_invalid_file_on_entity_update_changes_nothing(api, upload_dir, db):
    client_id = await new_client(api)
    before = await state(db, upload_dir)
    r = await api.put(
        f"/api/v1/clients/{client_id}",
        data={"name": "Should Not Stick"},
        files=[("documents[]", ("page.html", HTML, "text/html"))],
    )
    assert r.status_code == 422, r.text
    assert list(r.json()["errors"]) == ["documents.0"]
    assert (await api.get(f"/api/v1/clients/{client_id}")).json()["data"]["name"] == "ACME"
    assert await state(db, upload_dir) == before


@pytest.mark.parametrize(
    "given, expected", [("true", True), ("false", False), ("1", True), ("0", False), ("TRUE", True), ("", True)]
)
async def test_is_public_values(api, upload_dir, given, expected):
    client_id = await new_client(api)
    doc = await one_document(api, client_id, is_public=given)
    assert doc["is_public"] is expected


async def test_bad_is_public_is_a_422_and_stores_nothing(api, upload_dir, db):
    client_id = await new_client(api)
    before = await state(db, upload_dir)
    r = await upload(api, client_id, ("report.pdf", PDF), is_public="maybe")
    assert r.status_code == 422
    assert r.json() == {
        "message": "The given data was invalid.",
        "errors": {"is_public": ["The is public field must be true or false."]},
    }
    assert await state(db, upload_dir) == before


async def test_upload_to_a_missing_client_is_404(api, upload_dir, db):
    before = await state(db, upload_dir)
    r = await upload(api, ids.encode(987654), ("report.pdf", PDF))
    assert r.status_code == 404 and r.json() == {"message": "Client not found", "errors": {}}
    assert await state(db, upload_dir) == before


async def test_failed_insert_removes_the_written_files(tenant_a, db, upload_dir):
    """A real database failure (the user row does not exist) after the files were written."""
    ghost = Principal(
        company_id=ids.decode(tenant_a.company_id),
        user_id=2**40,
        account_id=0,
        token_id=0,
        is_admin=True,
        is_owner=True,
        permissions=frozenset(),
    )
    files = [UploadFile(io.BytesIO(PDF), filename="a.pdf"), UploadFile(io.BytesIO(png()), filename="b.png")]
    with pytest.raises(asyncpg.ForeignKeyViolationError):
        await documents.attach(db, ghost, REGISTRY["client"], 1, files, True)
    assert [p for p in upload_dir.rglob("*") if p.is_file()] == []
    assert await db.fetchval("SELECT count(*) FROM documents") == 0


# ---- download -----------------------------------------------------------------------------------
async def test_download_returns_the_bytes_as_an_attachment(api, upload_dir):
    client_id = await new_client(api)
    doc = await one_document(api, client_id, "report.pdf", PDF)
    r = await api.get(f"/api/v1/documents/{doc['id']}/download")
    assert r.status_code == 200
    assert r.content == PDF
    assert r.headers["content-type"] == "application/pdf"
    assert r.headers["content-disposition"] == 'attachment; filename="report.pdf"'
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in r.headers["content-security-policy"]
    assert r.headers["content-length"] == str(len(PDF))


async def test_download_of_a_non_ascii_name_carries_rfc5987(api, upload_dir):
    client_id = await new_client(api)
    doc = await one_document(api, client_id, "résumé ✓.pdf", PDF)
    assert doc["name"] == "résumé ✓.pdf"
    r = await api.get(f"/api/v1/documents/{doc['id']}/download")
    assert r.headers["content-disposition"] == (
        "attachment; filename=\"resume .pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%E2%9C%93.pdf"
    )


async def test_text_is_never_served_as_html(api, upload_dir, monkeypatch, settings):
    """D1: an operator may allow .html; it is still stored inert and served as opaque bytes."""
    monkeypatch.setattr(settings_module, "_active", replace(settings, extra_upload_extensions=("html",)))
    client_id = await new_client(api)
    page = await one_document(api, client_id, "page.html", HTML)
    notes = await one_document(api, client_id, "notes.txt", b"just text\n")
    r = await api.get(f"/api/v1/documents/{page['id']}/download")
    assert r.status_code == 200 and r.content == HTML
    assert r.headers["content-type"] == "application/octet-stream"
    assert r.headers["content-disposition"].startswith("attachment;")
    assert r.headers["x-content-type-options"] == "nosniff"
    r = await api.get(f"/api/v1/documents/{notes['id']}/download")
    assert r.headers["content-type"].startswith("text/plain")


async def test_download_of_a_file_missing_on_disk_is_404(api, upload_dir):
    client_id = await new_client(api)
    doc = await one_document(api, client_id)
    stored_file(upload_dir, doc).unlink()
    r = await api.get(f"/api/v1/documents/{doc['id']}/download")
    assert r.status_code == 404
    assert r.json() == {"message": "Document not found", "errors": {}}


async def test_download_needs_a_token(api, anon, upload_dir):
    client_id = await new_client(api)
    doc = await one_document(api, client_id)
    r = await anon.get(f"/api/v1/documents/{doc['id']}/download")
    assert r.status_code == 403 and r.json() == {"message": "Invalid token", "errors": {}}


# ---- show, update, delete -----------------------------------------------------------------------
async def test_show_and_update_name_and_is_public(api, upload_dir, db):
    client_id = await new_client(api)
    doc = await one_document(api, client_id)
    r = await api.get(f"/api/v1/documents/{doc['id']}")
    assert r.status_code == 200 and r.json()["data"] == doc
    r = await api.put(
        f"/api/v1/documents/{doc['id']}",
        json={"name": "dir/renamed.pdf", "is_public": False, "type": "html", "hash": "x", "size": 1},
    )
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert_document_shape(data)
    assert (data["name"], data["is_public"]) == ("dir-renamed.pdf", False)
    assert (data["type"], data["hash"], data["size"]) == (doc["type"], doc["hash"], doc["size"])
    body, headers = raw_multipart([("_method", None, b"PUT"), ("is_public", None, b"true")])
    r = await api.post(f"/api/v1/documents/{doc['id']}", content=body, headers=headers)
    assert r.status_code == 200 and r.json()["data"]["is_public"] is True
    assert r.json()["data"]["name"] == "dir-renamed.pdf"


@pytest.mark.parametrize(
    "body, field",
    [({"is_public": "perhaps"}, "is_public"), ({"name": {"a": 1}}, "name"), ({"name": "x" * 192}, "name")],
)
async def test_update_rejects_bad_values(api, upload_dir, db, body, field):
    client_id = await new_client(api)
    doc = await one_document(api, client_id)
    before = await state(db, upload_dir)
    r = await api.put(f"/api/v1/documents/{doc['id']}", json=body)
    assert r.status_code == 422 and list(r.json()["errors"]) == [field]
    assert await state(db, upload_dir) == before


async def test_delete_removes_the_file_and_the_row(api, upload_dir, db):
    client_id = await new_client(api)
    doc = await one_document(api, client_id)
    path = stored_file(upload_dir, doc)
    r = await api.delete(f"/api/v1/documents/{doc['id']}")
    assert r.status_code == 200 and r.json() == {"message": "Success"}
    assert not path.exists()
    assert await db.fetchval("SELECT count(*) FROM documents") == 0
    for method, url in (("GET", ""), ("GET", "/download"), ("PUT", ""), ("DELETE", "")):
        r = await api.request(method, f"/api/v1/documents/{doc['id']}{url}", json={} if method == "PUT" else None)
        assert r.status_code == 404 and r.json() == {"message": "Document not found", "errors": {}}
    client = (await api.get(f"/api/v1/clients/{client_id}")).json()["data"]
    assert client["documents"] == []


# ---- bulk ---------------------------------------------------------------------------------------
async def test_bulk_delete_and_download(api, upload_dir, db):
    client_id = await new_client(api)
    a = await one_document(api, client_id, "a.pdf", PDF)
    b = await one_document(api, client_id, "b.png", png())
    c = await one_document(api, client_id, "a.pdf", PDF + b"% second\n")
    r = await api.post("/api/v1/documents/bulk", json={"action": "download", "ids": [a["id"], b["id"], c["id"]]})
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    assert r.headers["content-disposition"] == 'attachment; filename="documents.zip"'
    with zipfile.ZipFile(io.BytesIO(r.content)) as archive:
        assert sorted(archive.namelist()) == ["3-a.pdf", "a.pdf", "b.png"]
        assert archive.read("b.png") == png() and archive.read("3-a.pdf") == PDF + b"% second\n"
    r = await api.post("/api/v1/documents/bulk", json={"action": "delete", "ids": [a["id"], b["id"]]})
    assert r.status_code == 200, r.text
    assert r.json()["data"] == [] and r.json()["meta"]["pagination"]["total"] == 0
    rows, _ = await state(db, upload_dir)
    assert [row[3] for row in rows] == [c["hash"]]
    assert [p.name for p in upload_dir.rglob("*") if p.is_file()] == [c["hash"]]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"action": "archive"}, "action"),
        ({"action": ""}, "action"),
        ({"action": "delete", "ids": []}, "ids"),
        ({"action": "delete", "ids": ["nonsense"]}, "ids"),
    ],
)
async def test_bulk_rejects_bad_input(api, upload_dir, db, body, field):
    client_id = await new_client(api)
    doc = await one_document(api, client_id)
    before = await state(db, upload_dir)
    r = await api.post("/api/v1/documents/bulk", json={"ids": [doc["id"]], **body})
    assert r.status_code == 422 and list(r.json()["errors"]) == [field]
    assert await state(db, upload_dir) == before


# ---- list filters -------------------------------------------------------------------------------
async def test_list_filters(api, upload_dir):
    acme = await new_client(api, "ACME")
    other = await new_client(api, "Other")
    report = await one_document(api, acme, "Quarterly report.pdf", PDF)
    photo = await one_document(api, acme, "photo.png", png(), is_public="false")
    notes = await one_document(api, other, "notes.txt", b"notes\n")

    async def names(query: str) -> list[str]:
        r = await api.get(f"/api/v1/documents?{query}")
        assert r.status_code == 200, r.text
        return [d["name"] for d in r.json()["data"]]

    assert await names("") == [report["name"], photo["name"], notes["name"]]
    assert await names("filter=REPORT") == ["Quarterly report.pdf"]
    assert await names("type=public") == ["Quarterly report.pdf", "notes.txt"]
    assert await names("type=private") == ["photo.png"]
    assert await names("type=pdf") == ["Quarterly report.pdf"]
    assert await names("type=image") == ["photo.png"]
    assert await names("type=image, private") == ["photo.png"]
    assert await names("type=pdf,private") == []
    assert await names(f"client_id={acme}") == ["Quarterly report.pdf", "photo.png"]
    assert await names(f"client_id={other}") == ["notes.txt"]
    assert await names("client_id=garbage") == []
    assert await names("sort=name|desc") == ["photo.png", "notes.txt", "Quarterly report.pdf"]
    r = await api.get("/api/v1/documents?per_page=1")
    assert r.json()["meta"]["pagination"]["total"] == 3


# ---- D1: types ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name, content",
    [
        ("page.html", HTML),
        ("image.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
        ("shell.php", b"<?php system($_GET['c']); ?>"),
        ("app.js", b"alert(1)"),
        ("tool.py", b"import os\n"),
        ("x.png", HTML),  # lying extension: HTML content named as an image
        ("a.pdf.html", HTML),  # double extension
        ("notes.txt", HTML),  # markup under a text extension
        ("feed.xml", b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>x</script></svg>'),
        ("photo.jpg", png()),  # a real image, but not the type its name claims
        ("sheet.xlsx", PDF),
        ("no_extension", PDF),
        (".pdf", PDF),
        ("binary.txt", b"MZ\x90\x00\x03\x00"),
    ],
)
async def test_disallowed_and_lying_types_are_422(api, upload_dir, db, name, content):
    client_id = await new_client(api)
    before = await state(db, upload_dir)
    r = await upload(api, client_id, (name, content))
    assert r.status_code == 422, r.text
    assert r.json() == {
        "message": "The given data was invalid.",
        "errors": {"documents.0": [f"The documents.0 {TYPE_MESSAGE}"]},
    }
    assert await state(db, upload_dir) == before


async def test_one_bad_file_rejects_the_whole_upload(api, upload_dir, db):
    client_id = await new_client(api)
    before = await state(db, upload_dir)
    r = await upload(api, client_id, ("good.pdf", PDF), ("bad.html", HTML), ("fine.png", png()), ("empty.txt", b""))
    assert r.status_code == 422
    assert r.json()["errors"] == {
        "documents.1": [f"The documents.1 {TYPE_MESSAGE}"],
        "documents.3": ["The documents.3 must not be an empty file."],
    }
    assert await state(db, upload_dir) == before


async def test_polyglot_pdf_is_stored_inert(api, upload_dir):
    """A PDF that also carries HTML passes the signature check; it can only ever come back as a PDF
    attachment with nosniff."""
    client_id = await new_client(api)
    doc = await one_document(api, client_id, "poly.pdf", PDF + HTML)
    r = await api.get(f"/api/v1/documents/{doc['id']}/download")
    assert r.headers["content-type"] == "application/pdf" and r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["content-disposition"].startswith("attachment;")


# ---- D2: filenames ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "sent, stored",
    [
        ("../../etc/passwd.txt", "etc-passwd.txt"),
        ("..\\..\\windows\\win.txt", "windows-win.txt"),
        ("C:\\fakepath\\report.txt", "report.txt"),
        ("a\x00b\x07\x1b[31m\tc.txt", "ab[31mc.txt"),
        ("invoice\u202etxt.exe.txt", "invoicetxt.exe.txt"),
        ("/abs/path/notes.txt", "abs-path-notes.txt"),
        ("x" * 4096 + ".txt", "x" * 187 + ".txt"),
    ],
)
async def test_hostile_filenames_are_metadata_only(api, upload_dir, db, sent, stored):
    client_id = await new_client(api)
    body, headers = raw_multipart([("documents[]", sent, b"harmless text\n")])
    r = await api.put(f"/api/v1/clients/{client_id}/upload", content=body, headers=headers)
    assert r.status_code == 200, r.text
    doc = r.json()["data"]["documents"][0]
    assert doc["name"] == stored and len(doc["name"]) <= 191
    files = [p for p in upload_dir.rglob("*") if p.is_file()]
    assert len(files) == 1 and files[0].parent.parent == upload_dir and STORED.match(files[0].name)
    assert files[0].read_bytes() == b"harmless text\n"
    r = await api.get(f"/api/v1/documents/{doc['id']}/download")
    header = r.headers["content-disposition"]
    assert header.startswith('attachment; filename="') and not any(c in header for c in "\r\n\x00/\\")


async def test_line_breaks_in_a_filename_break_the_part_and_store_nothing(api, upload_dir, db):
    client_id = await new_client(api)
    before = await state(db, upload_dir)
    body, headers = raw_multipart([("documents[]", "a\r\nContent-Type: text/html\r\n.txt", b"text\n")])
    r = await api.put(f"/api/v1/clients/{client_id}/upload", content=body, headers=headers)
    assert r.status_code in (400, 422)
    assert await state(db, upload_dir) == before


# ---- D3: sizes and counts -----------------------------------------------------------------------
async def test_oversized_file_is_422_and_nothing_is_stored(api, upload_dir, db):
    client_id = await new_client(api)
    before = await state(db, upload_dir)
    r = await upload(api, client_id, ("big.pdf", PDF + b"0" * MAX_UPLOAD))
    assert r.status_code == 422
    assert r.json()["errors"] == {
        "documents.0": [f"The documents.0 may not be greater than {MAX_UPLOAD // 1024} kilobytes."]
    }
    assert await state(db, upload_dir) == before


async def test_oversized_body_is_413_before_it_is_read(api, upload_dir, db):
    client_id = await new_client(api)
    before = await state(db, upload_dir)
    body, headers = raw_multipart([("documents[]", "huge.pdf", PDF + b"0" * MAX_BODY)])
    r = await api.put(f"/api/v1/clients/{client_id}/upload", content=body, headers=headers)
    assert r.status_code == 413
    assert await state(db, upload_dir) == before


async def test_more_than_twenty_files_are_refused(api, upload_dir, db):
    client_id = await new_client(api)
    before = await state(db, upload_dir)
    r = await upload(api, client_id, *[(f"n{i}.txt", b"x\n") for i in range(21)])
    assert r.status_code in (400, 422), r.text
    assert await state(db, upload_dir) == before
    r = await upload(api, client_id, *[(f"n{i}.txt", b"x\n") for i in range(20)])
    assert r.status_code == 200 and len(r.json()["data"]["documents"]) == 20


# ---- D4: tenants --------------------------------------------------------------------------------
async def test_another_companys_document_is_not_found(api, api_b, upload_dir, db):
    theirs = await one_document(api_b, await new_client(api_b, "B Corp"), "secret.pdf", PDF)
    mine = await new_client(api)
    before = await state(db, upload_dir)
    not_found = {"message": "Document not found", "errors": {}}
    for method, url, body in (
        ("GET", "", None),
        ("GET", "/download", None),
        ("DELETE", "", None),
        ("PUT", "", {"name": "pwned.pdf", "is_public": False}),
    ):
        r = await api.request(method, f"/api/v1/documents/{theirs['id']}{url}", json=body)
        assert (r.status_code, r.json()) == (404, not_found), (method, url)
    for action in ("delete", "download"):
        r = await api.post("/api/v1/documents/bulk", json={"action": action, "ids": [theirs["id"]]})
        assert r.status_code == 422 and list(r.json()["errors"]) == ["ids"]
    r = await api.get("/api/v1/documents")
    assert r.json()["data"] == []
    r = await api.get(f"/api/v1/documents?client_id={mine}")
    assert r.json()["data"] == []
    r = await upload(api, (await api_b.get("/api/v1/clients")).json()["data"][0]["id"], ("x.pdf", PDF))
    assert r.status_code == 404 and r.json() == {"message": "Client not found", "errors": {}}
    assert await state(db, upload_dir) == before
    r = await api_b.get(f"/api/v1/documents/{theirs['id']}/download")
    assert r.status_code == 200 and r.content == PDF


# ---- pieces -------------------------------------------------------------------------------------
def test_clean_name_and_dimension_parsing():
    assert uploads.clean_name("../x/\u200bsecret\u202e.pdf") == "x-secret.pdf"
    assert uploads.clean_name("\x00\x01") == ""
    assert uploads.extension("archive.TAR.GZ") == "gz" and uploads.extension(".hidden") == ""
    broken = io.BytesIO(b"\xff\xd8\xff\xe0\x00\x01junk")
    assert uploads._jpeg_size(broken) == (0, 0)  # noqa: SLF001 - malformed input must not raise
    assert uploads._jpeg_size(io.BytesIO(jpeg(1, 65535))) == (1, 65535)  # noqa: SLF001


async def test_client_filter_covers_documents_of_the_clients_invoices(api, upload_dir):
    client_id = await new_client(api)
    r = await api.post("/api/v1/invoices", json={"client_id": client_id})
    assert r.status_code == 200, r.text
    invoice_id = r.json()["data"]["id"]
    r = await api.put(
        f"/api/v1/invoices/{invoice_id}/upload", files=[("documents[]", ("signed.pdf", PDF, "application/pdf"))]
    )
    assert r.status_code == 200, r.text
    doc = r.json()["data"]["documents"][0]
    assert doc["link"] == f"/invoices/{invoice_id}/edit"
    await one_document(api, await new_client(api, "Someone else"), "unrelated.pdf")
    r = await api.get(f"/api/v1/documents?client_id={client_id}")
    assert [d["name"] for d in r.json()["data"]] == ["signed.pdf"]
