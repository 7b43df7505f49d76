"""Image uploads: what "Upload or insert images from URL" promises.

An upload is stored in ``instance/uploads/`` under the SHA-256 of its bytes, so the same image is
stored once and a name says nothing about who sent it. The type is read from the file's first bytes
(PNG, JPEG, GIF, WebP), never from its name or the browser's Content-Type; anything else, and
anything over ``DEMO_UPLOAD_MAX_BYTES``, is refused with a message. Images are served back with
their sniffed type, ``nosniff`` and a CSP that runs nothing, at an absolute URL the editor inserts
(the filter refuses relative image sources as pasted images).
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Any

from flask import abort, current_app, jsonify, render_template, request, send_from_directory, url_for
from werkzeug.exceptions import RequestEntityTooLarge

from .views import bp

__all__ = ["UploadRefused", "sniff_image", "store_image"]

#: magic bytes -> (extension, MIME type)
_SIGNATURES: tuple[tuple[bytes, int, str, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", 0, "png", "image/png"),
    (b"\xff\xd8\xff", 0, "jpg", "image/jpeg"),
    (b"GIF87a", 0, "gif", "image/gif"),
    (b"GIF89a", 0, "gif", "image/gif"),
    (b"WEBP", 8, "webp", "image/webp"),
)
_TYPES = {ext: mime for _, _, ext, mime in _SIGNATURES}
_NAME = re.compile(r"[0-9a-f]{64}\.(png|jpg|gif|webp)")


class UploadRefused(ValueError):
    """An upload the forum does not keep; the message says why."""


def sniff_image(data: bytes) -> str | None:
    """The extension of an image from its first bytes, or None when it is not one we accept."""
    for magic, offset, ext, _ in _SIGNATURES:
        if data[offset:offset + len(magic)] == magic and (ext != "webp" or data[:4] == b"RIFF"):
            return ext
    return None


def upload_folder() -> Path:
    return Path(current_app.instance_path) / "uploads"


def store_image(data: bytes) -> str:
    """Keep an uploaded image; returns its file name. Raises :class:`UploadRefused`."""
    limit = int(current_app.config["DEMO_UPLOAD_MAX_BYTES"])
    if not data:
        raise UploadRefused("Choose an image to upload.")
    if len(data) > limit:
        raise UploadRefused(f"That image is too large: {len(data):,} bytes, the maximum is {limit:,}.")
    ext = sniff_image(data)
    if ext is None:
        raise UploadRefused("That file is not an image we accept: upload a PNG, JPEG, GIF or WebP image.")
    name = f"{hashlib.sha256(data).hexdigest()}.{ext}"
    folder = upload_folder()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    if not target.exists():
        partial = folder / f".{name}.{os.getpid()}.part"
        partial.write_bytes(data)
        partial.replace(target)  # whole or not at all
    return name


def _answer(status: int, *, error: str | None = None, name: str | None = None) -> Any:
    url = url_for("forum.uploaded", name=name, _external=True) if name else None
    if request.accept_mimetypes.best == "application/json" or request.headers.get("X-Requested-With") == "fetch":
        return jsonify({"url": url} if url else {"error": error}), status
    return render_template("demo/upload.html", error=error, url=url), status


@bp.route("/upload", methods=["GET", "POST"])
def upload() -> Any:
    """The upload form (works without JavaScript); the editor's "Upload image" button posts here too."""
    if request.method == "GET":
        return render_template("demo/upload.html", error=None, url=None)
    try:
        file = request.files.get("image")
    except RequestEntityTooLarge:
        return _answer(413, error="That image is too large for the forum.")
    if file is None:
        return _answer(422, error="Choose an image to upload.")
    limit = int(current_app.config["DEMO_UPLOAD_MAX_BYTES"])
    data = file.stream.read(limit + 1)
    try:
        name = store_image(data)
    except UploadRefused as exc:
        return _answer(422, error=str(exc))
    return _answer(201, name=name)


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(exc: RequestEntityTooLarge) -> Any:
    if request.endpoint == "forum.upload":
        return _answer(413, error="That image is too large for the forum.")
    return exc


@bp.get("/uploads/<name>")
def uploaded(name: str) -> Any:
    if not _NAME.fullmatch(name):
        abort(404)
    response = send_from_directory(upload_folder(), name, mimetype=_TYPES[name.rsplit(".", 1)[1]],
                                   max_age=31536000)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
