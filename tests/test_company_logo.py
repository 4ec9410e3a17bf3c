"""The company logo: the web app's multipart update with `company_logo`, the public URL it leaves in
`settings.company_logo`, replacement, refusals that change nothing, and read_logo for the PDFs."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from members import add_member
from PIL import Image

from app import ids
from app.db import Db
from app.services.accounts.logo import read_logo


def image_bytes(fmt: str, size: tuple[int, int] = (3, 2), color: tuple[int, int, int] = (200, 10, 10)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format=fmt)
    return out.getvalue()


def huge_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 8_000, 8_000, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


async def upload(api: httpx.AsyncClient, company: str, name: str, data: bytes, **fields: str) -> httpx.Response:
    """As the web app sends it: POST with `_method=PUT`, the file as `company_logo`."""
    return await api.post(
        f"/api/v1/companies/{company}",
        data={"_method": "PUT", **fields},
        files={"company_logo": (name, data, "image/png")},
    )


def public(app: Any) -> httpx.AsyncClient:
    """A browser's <img>: no token, no X-Requested-With."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


def logo_files(upload_dir: Path, company: str) -> list[Path]:
    folder = upload_dir / str(ids.decode(company)) / "logos"
    return sorted(folder.iterdir()) if folder.exists() else []


async def stored_settings(db: Db, company: str) -> dict[str, Any]:
    value = await db.fetchval("SELECT settings FROM companies WHERE id = $1", ids.decode(company))
    assert isinstance(value, dict)
    return value


async def test_upload_sets_a_public_url_serving_the_logo(
    app: Any, api: httpx.AsyncClient, tenant_a: Any, db: Db, upload_dir: Path
) -> None:
    r = await upload(api, tenant_a.company_id, "me.jpg", image_bytes("JPEG", (4, 3)))
    assert r.status_code == 200, r.text
    company = r.json()["data"]
    assert company["id"] == tenant_a.company_id
    url = company["settings"]["company_logo"]
    assert url.startswith(f"http://testserver/logos/{tenant_a.company_id}/") and url.endswith(".png")
    assert (await stored_settings(db, tenant_a.company_id))["company_logo"] == url
    # the same URL on the next read of the company
    shown = (await api.get(f"/api/v1/companies/{tenant_a.company_id}")).json()["data"]
    assert shown["settings"]["company_logo"] == url

    async with public(app) as browser:
        served = await browser.get(urlsplit(url).path)
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/png"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert "max-age" in served.headers["cache-control"] and "public" in served.headers["cache-control"]
    # re-encoded as PNG (upstream's UploadAvatar), the picture kept
    with Image.open(io.BytesIO(served.content)) as image:
        assert image.format == "PNG" and image.size == (4, 3)
    [stored] = logo_files(upload_dir, tenant_a.company_id)
    assert stored.read_bytes() == served.content
    assert await read_logo(db, ids.decode(tenant_a.company_id)) == (served.content, "image/png")


async def test_a_new_logo_replaces_the_old_one(
    app: Any, api: httpx.AsyncClient, tenant_a: Any, db: Db, upload_dir: Path
) -> None:
    first = (await upload(api, tenant_a.company_id, "a.png", image_bytes("PNG"))).json()["data"]
    old_url = first["settings"]["company_logo"]
    r = await upload(api, tenant_a.company_id, "b.gif", image_bytes("GIF", (5, 5)))
    assert r.status_code == 200, r.text
    new_url = r.json()["data"]["settings"]["company_logo"]
    assert new_url != old_url
    assert len(logo_files(upload_dir, tenant_a.company_id)) == 1  # the old file is gone
    async with public(app) as browser:
        assert (await browser.get(urlsplit(old_url).path)).status_code == 404
        assert (await browser.get(urlsplit(new_url).path)).status_code == 200
        # an invented name, another company's id: the same 404
        bad = urlsplit(new_url).path.rsplit("/", 1)[0] + "/" + "0" * 40 + ".png"
        assert (await browser.get(bad)).status_code == 404


async def test_another_company_cannot_replace_it(
    app: Any,
    anon: httpx.AsyncClient,
    api: httpx.AsyncClient,
    api_b: httpx.AsyncClient,
    tenant_a: Any,
    db: Db,
    upload_dir: Path,
) -> None:
    url = (await upload(api, tenant_a.company_id, "a.png", image_bytes("PNG"))).json()["data"]["settings"][
        "company_logo"
    ]
    r = await upload(api_b, tenant_a.company_id, "evil.png", image_bytes("PNG", color=(0, 0, 0)))
    assert r.status_code == 404 and r.json()["message"] == "Company not found"
    # a member of company A without edit rights
    _, token = await add_member(db, tenant_a.company_id, "m@example.com", permissions="view_all")
    r = await anon.post(
        f"/api/v1/companies/{tenant_a.company_id}",
        data={"_method": "PUT"},
        files={"company_logo": ("m.png", image_bytes("PNG"), "image/png")},
        headers={"X-API-TOKEN": token},
    )
    assert r.status_code == 403
    assert (await stored_settings(db, tenant_a.company_id))["company_logo"] == url
    assert len(logo_files(upload_dir, tenant_a.company_id)) == 1
    for other in upload_dir.iterdir():  # company B's refused attempt wrote nothing anywhere
        if other.name != str(ids.decode(tenant_a.company_id)):
            assert not (other / "logos").exists()


async def test_a_non_image_is_refused_and_changes_nothing(
    api: httpx.AsyncClient, tenant_a: Any, db: Db, upload_dir: Path
) -> None:
    before = await stored_settings(db, tenant_a.company_id)
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    for name, data in (
        ("logo.png", b"this is not a picture"),
        ("logo.svg", svg),
        ("logo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40),  # a signature with no image behind it
        ("logo.pdf", b"%PDF-1.4\n%%EOF\n"),
        ("empty.png", b""),
        ("bomb.png", huge_png()),  # 8 000 x 8 000 pixels declared in a few bytes
    ):
        r = await upload(api, tenant_a.company_id, name, data, **{"settings[name]": "Changed"})
        assert r.status_code == 422, (name, r.text)
        body = r.json()
        assert body["message"] == "The given data was invalid." and list(body["errors"]) == ["company_logo"]
    assert await stored_settings(db, tenant_a.company_id) == before  # the name in the same request too
    assert logo_files(upload_dir, tenant_a.company_id) == []


async def test_json_and_form_updates_still_work_and_keep_the_logo(
    api: httpx.AsyncClient, tenant_a: Any, db: Db, upload_dir: Path
) -> None:
    url = (await upload(api, tenant_a.company_id, "a.png", image_bytes("PNG"), **{"settings[name]": "Logo Co"})).json()[
        "data"
    ]["settings"]
    assert url["name"] == "Logo Co"
    r = await api.put(f"/api/v1/companies/{tenant_a.company_id}", json={"settings": {"name": "Json Co"}})
    assert r.status_code == 200, r.text
    assert r.json()["data"]["settings"]["name"] == "Json Co"
    assert r.json()["data"]["settings"]["company_logo"] == url["company_logo"]
    r = await api.put(
        f"/api/v1/companies/{tenant_a.company_id}",
        content=b"settings%5Bname%5D=Form+Co&fill_products=0",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["data"]["settings"]["name"] == "Form Co" and r.json()["data"]["fill_products"] is False
    stored = await stored_settings(db, tenant_a.company_id)
    assert stored["name"] == "Form Co" and stored["company_logo"] == url["company_logo"]
    assert len(logo_files(upload_dir, tenant_a.company_id)) == 1


async def test_a_logo_url_typed_into_settings_is_never_fetched(
    api: httpx.AsyncClient, tenant_a: Any, db: Db, upload_dir: Path
) -> None:
    company_id = ids.decode(tenant_a.company_id)
    assert await read_logo(db, company_id) is None  # no logo yet
    await upload(api, tenant_a.company_id, "a.png", image_bytes("PNG"))
    r = await api.put(
        f"/api/v1/companies/{tenant_a.company_id}",
        json={"settings": {"company_logo": "http://169.254.169.254/latest/meta-data"}},
    )
    assert r.status_code == 200, r.text
    assert await read_logo(db, company_id) is None
    assert logo_files(upload_dir, tenant_a.company_id) == []  # the replaced upload's file is removed


async def test_documents_travel_with_the_logo_and_a_bad_one_undoes_both(
    api: httpx.AsyncClient, tenant_a: Any, db: Db, upload_dir: Path
) -> None:
    company = tenant_a.company_id
    r = await api.post(
        f"/api/v1/companies/{company}",
        data={"_method": "PUT"},
        files=[
            ("company_logo", ("logo.png", image_bytes("PNG"), "image/png")),
            ("documents[]", ("terms.txt", b"Our terms", "text/plain")),
        ],
    )
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert [d["name"] for d in data["documents"]] == ["terms.txt"] and data["settings"]["company_logo"]
    url = data["settings"]["company_logo"]
    r = await api.post(
        f"/api/v1/companies/{company}",
        data={"_method": "PUT", "settings[name]": "Not saved"},
        files=[
            ("company_logo", ("new.png", image_bytes("PNG", color=(1, 2, 3)), "image/png")),
            ("documents[]", ("bad.exe", b"MZ\x90\x00", "application/octet-stream")),
        ],
    )
    assert r.status_code == 422 and list(r.json()["errors"]) == ["documents.0"], r.text
    settings = await stored_settings(db, company)
    assert settings["company_logo"] == url and settings["name"] != "Not saved"
    assert len(logo_files(upload_dir, company)) == 1  # the refused request's logo file was removed
    count = await db.fetchval("SELECT count(*) FROM documents WHERE company_id = $1", ids.decode(company))
    assert count == 1
