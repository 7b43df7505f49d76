"""The demo's image upload (issue 11, friction): stored in instance/uploads, type-checked by the
file's bytes, size-checked, served back, and usable in a post."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from test_demo import csrf_token, posts, reply


def png(width: int = 2, height: int = 2) -> bytes:
    """A real PNG (red pixels), built here so the test needs no image library."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows, 0)) + chunk(b"IEND", b""))


def upload(client: FlaskClient, data: bytes, filename: str = "cat.png", content_type: str = "image/png",
           json: bool = True):  # type: ignore[no-untyped-def]
    token = csrf_token(client, "/upload")
    headers = {"Accept": "application/json"} if json else {}
    return client.post("/upload", data={"csrf_token": token, "image": (io.BytesIO(data), filename, content_type)},
                       headers=headers, content_type="multipart/form-data")


def test_an_image_is_stored_served_back_and_usable_in_a_post(app: Flask, client: FlaskClient) -> None:
    image = png()
    r = upload(client, image)
    assert r.status_code == 201
    url = r.get_json()["url"]
    assert url.startswith("http://localhost/uploads/") and url.endswith(".png")
    stored = list((Path(app.instance_path) / "uploads").glob("*.png"))
    assert [p.read_bytes() for p in stored] == [image]
    served = client.get(url.removeprefix("http://localhost"))
    assert served.status_code == 200 and served.data == image and served.mimetype == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served.headers["Content-Security-Policy"]
    served.close()
    # the editor inserts the absolute URL: the filter lets it through as an image, not a pasted one
    assert reply(client, f'<p>my cat <img src="{url}" alt=""></p>').status_code == 302
    assert f'<img src="{url}"' in posts(app)[-1].content
    # the same bytes again: one file
    assert upload(client, image).get_json()["url"] == url
    assert len(list((Path(app.instance_path) / "uploads").iterdir())) == 1


def test_the_type_is_read_from_the_bytes_not_the_name(app: Flask, client: FlaskClient) -> None:
    r = upload(client, b"<html><script>alert(1)</script></html>", "cat.png", "image/png")
    assert r.status_code == 422 and "not an image we accept" in r.get_json()["error"]
    gif = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
    r = upload(client, gif, "notes.txt", "text/plain")
    assert r.status_code == 201 and r.get_json()["url"].endswith(".gif")
    assert not list((Path(app.instance_path) / "uploads").glob("*.png"))


def test_too_large_and_empty_uploads_are_refused_with_a_message(app: Flask, client: FlaskClient) -> None:
    app.config["DEMO_UPLOAD_MAX_BYTES"] = 1000
    big = png(40, 40)
    assert len(big) > 1000
    r = upload(client, big)
    assert r.status_code == 422 and "too large" in r.get_json()["error"] and "1,000" in r.get_json()["error"]
    r = upload(client, b"")
    assert r.status_code == 422 and "Choose an image" in r.get_json()["error"]
    app.config["MAX_CONTENT_LENGTH"] = 2000
    r = upload(client, b"\x89PNG\r\n\x1a\n" + b"\x00" * 5000)
    assert r.status_code == 413 and "too large" in r.get_json()["error"]
    assert not (Path(app.instance_path) / "uploads").exists() or not any((Path(app.instance_path) / "uploads").iterdir())


def test_the_upload_page_works_without_javascript(app: Flask, client: FlaskClient) -> None:
    page = client.get("/upload").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page and 'name="csrf_token"' in page
    r = upload(client, png(), json=False)
    assert r.status_code == 201 and "Uploaded." in r.get_data(as_text=True) and "/uploads/" in r.get_data(as_text=True)
    r = upload(client, b"nope", json=False)
    assert r.status_code == 422 and "not an image we accept" in r.get_data(as_text=True)
    # no token, no upload
    r = client.post("/upload", data={"image": (io.BytesIO(png()), "a.png")}, content_type="multipart/form-data")
    assert r.status_code == 400


def test_only_stored_names_are_served(client: FlaskClient) -> None:
    for name in ("../secret_key", "x.png", "a" * 64 + ".svg", "..%2Fdemo.sqlite"):
        assert client.get(f"/uploads/{name}").status_code == 404
    assert "Upload an image" in client.get("/t/1").get_data(as_text=True)
