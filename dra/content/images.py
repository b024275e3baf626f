"""Images for articles and the public site (UC-ADM-13).

An upload is read up to its size limit (413 past it), its type decided from its content
by Pillow, never from its name (JPEG, PNG, GIF, WebP; anything else 400), its size in
pixels checked before a pixel is decoded (a decompression bomb is refused, 400), then
decoded and encoded again, so what is stored holds only the picture: no EXIF (the
photo's orientation is applied first), no GPS, no comments, text chunks or colour
profiles. Files live in ``<data folder>/images/`` under a random name
(``<32 hex digits>.<ext>``); a name that is not of that form is never opened, so no path
can leave the folder. An image used by an article (as its cover or in its body) cannot
be deleted (409, naming the articles).
"""

from __future__ import annotations

import io
import os
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from dra.errors import Conflict, DraError, Invalid, NotFound
from dra.models import Article

FIELD = "image"
URL_PREFIX = "/images/"
FOLDER = "images"
FORMATS = {  # Pillow's format name -> (extension, content type)
    "JPEG": ("jpg", "image/jpeg"),
    "PNG": ("png", "image/png"),
    "GIF": ("gif", "image/gif"),
    "WEBP": ("webp", "image/webp"),
}
CONTENT_TYPES = dict(FORMATS.values())
NAME_PATTERN = re.compile(r"[0-9a-f]{32}\.(?:jpg|png|gif|webp)")
TYPE_MESSAGE = "Only JPG, PNG, GIF and WebP images are accepted."
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 50_000_000
"""Pixels of all frames together (a 50-megapixel photo, or 100 frames of 700 x 700);
decoding holds them all in memory, so more is refused before decoding."""
MAX_FRAMES = 500


class ImageRejected(DraError):
    """The upload is not an image this site accepts (400, or 413 for its size)."""


@dataclass(frozen=True)
class ProcessedImage:
    data: bytes
    extension: str
    content_type: str
    width: int
    height: int
    frames: int


@dataclass(frozen=True)
class StoredImage:
    name: str
    size: int
    content_type: str
    modified: datetime

    @property
    def url(self) -> str:
        return URL_PREFIX + self.name


def read_upload(stream: BinaryIO, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """The upload's bytes; 413 when it is larger than ``max_bytes`` (reading stops there)."""
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ImageRejected(too_large_message(max_bytes), status=413, field=FIELD)
    if not data:
        raise ImageRejected("Choose an image to upload.", field=FIELD)
    return data


def too_large_message(max_bytes: int) -> str:
    size = f"{max_bytes / 2**20:g} MB" if max_bytes >= 2**20 else f"{max_bytes:,} bytes"
    return f"The image is larger than {size}."


def _bomb(width: int, height: int, frames: int) -> ImageRejected:
    where = f" in {frames} frames" if frames > 1 else ""
    return ImageRejected(
        f"The image is too large to process: {width} x {height} pixels{where} "
        f"(at most {MAX_PIXELS // 1_000_000} million pixels in all).",
        field=FIELD,
    )


def process_image(raw: bytes) -> ProcessedImage:
    """Check and re-encode an upload; ImageRejected (400) when it is not an accepted image,
    cannot be read, or would decode to more than ``MAX_PIXELS``."""
    try:
        with Image.open(io.BytesIO(raw), formats=list(FORMATS)) as image:
            kind = image.format or ""
            width, height = image.size
            frames = getattr(image, "n_frames", 1)
            if frames > MAX_FRAMES or width * height * frames > MAX_PIXELS:
                raise _bomb(width, height, frames)
            pictures = _decoded_frames(image, kind)
            data = _encode(pictures, kind, image.info.get("loop", 0))
            width, height = pictures[0][0].size
    except Image.DecompressionBombError:
        raise ImageRejected(
            f"The image is too large to process (at most {MAX_PIXELS // 1_000_000} "
            "million pixels in all).",
            field=FIELD,
        ) from None
    except UnidentifiedImageError:
        raise ImageRejected(TYPE_MESSAGE, field=FIELD) from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        # truncated data, a broken chunk, a text chunk over Pillow's limit...
        raise ImageRejected(
            f"The image could not be read: it is damaged or incomplete ({exc}).", field=FIELD
        ) from None
    extension, content_type = FORMATS[kind]
    return ProcessedImage(data, extension, content_type, width, height, len(pictures))


def _decoded_frames(image: Image.Image, kind: str) -> list[tuple[Image.Image, int]]:
    """Each frame decoded, as (picture without metadata, duration in ms)."""
    pictures = []
    for frame in ImageSequence.Iterator(image):
        duration = int(frame.info.get("duration") or 0)
        picture = frame.copy()
        if len(pictures) == 0 and kind in ("JPEG", "PNG", "WEBP"):
            picture = ImageOps.exif_transpose(picture)  # the photo stands as it was taken
        transparency = picture.info.get("transparency")
        picture.info = {} if transparency is None else {"transparency": transparency}
        pictures.append((picture, duration))
    return pictures


def _encode(pictures: list[tuple[Image.Image, int]], kind: str, loop: Any) -> bytes:
    """The frames written again in their format, with nothing but the picture."""
    out = io.BytesIO()
    first = pictures[0][0]
    options: dict[str, Any] = {}
    if kind == "JPEG":
        if first.mode not in ("L", "RGB"):
            first = first.convert("RGB")
        options = {"quality": 90, "optimize": True}
    elif kind == "PNG":
        if first.mode not in ("1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16"):
            first = first.convert("RGBA")
        options = {"optimize": False}
    elif kind == "WEBP":
        options = {"quality": 90, "method": 4}
    if "transparency" in first.info and kind in ("PNG", "GIF"):
        options["transparency"] = first.info["transparency"]
    if len(pictures) > 1:
        options |= {
            "save_all": True,
            "append_images": [picture for picture, _ in pictures[1:]],
            "duration": [duration or 100 for _, duration in pictures],
            "loop": loop if isinstance(loop, int) else 0,
        }
    first.save(out, format=kind, **options)
    return out.getvalue()


# --- the image folder ---------------------------------------------------------------------


def folder(data_dir: Path) -> Path:
    return data_dir / FOLDER


def store_image(data_dir: Path, image: ProcessedImage) -> StoredImage:
    """Write a processed image under a new random name (atomically: never half a file)."""
    target_dir = folder(data_dir)
    target_dir.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_hex(16)}.{image.extension}"
    temp = target_dir / f".{name}.part"
    temp.write_bytes(image.data)
    os.replace(temp, target_dir / name)
    return _stored(target_dir / name)


def _stored(path: Path) -> StoredImage:
    stat = path.stat()
    return StoredImage(
        name=path.name,
        size=stat.st_size,
        content_type=CONTENT_TYPES[path.suffix[1:]],
        modified=datetime.fromtimestamp(stat.st_mtime, UTC),
    )


def list_images(data_dir: Path) -> list[StoredImage]:
    """The stored images, newest first."""
    target_dir = folder(data_dir)
    if not target_dir.is_dir():
        return []
    found = [
        _stored(path)
        for path in target_dir.iterdir()
        if NAME_PATTERN.fullmatch(path.name) and path.is_file()
    ]
    return sorted(found, key=lambda image: (image.modified, image.name), reverse=True)


def image_path(data_dir: Path, name: str) -> Path:
    """The file of a stored image; NotFound for anything else (no other name is opened)."""
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise NotFound("No such image.")
    path = folder(data_dir) / name
    if not path.is_file():
        raise NotFound("No such image.")
    return path


def image_name_of(value: str) -> str:
    """The stored name in an image's URL (``/images/<name>``, or the name itself)."""
    value = value.strip()
    return value[len(URL_PREFIX) :] if value.startswith(URL_PREFIX) else value


def check_image_url(data_dir: Path, value: object, *, field: str) -> str | None:
    """A stored image's URL for an article (None when blank); 422 naming ``field`` when it
    is not one of the stored images."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return URL_PREFIX + image_path(data_dir, image_name_of(value)).name
    except NotFound:
        raise Invalid("Choose one of the uploaded images.", field=field) from None


def articles_using(session: Session, name: str) -> list[str]:
    """Titles of the articles (any status) whose cover or body uses the image."""
    return list(
        session.scalars(
            select(Article.title)
            .where(
                or_(
                    Article.cover_image_url == URL_PREFIX + name,
                    Article.body.contains(name, autoescape=True),
                )
            )
            .order_by(Article.title)
        )
    )


def delete_image(session: Session, data_dir: Path, name: str) -> None:
    """Remove a stored image; refused (409) while an article uses it."""
    path = image_path(data_dir, name)
    users = articles_using(session, name)
    if users:
        titles = ", ".join(f"“{title}”" for title in users)
        raise Conflict(
            f"This image is used by {titles}: remove it from "
            f"{'that article' if len(users) == 1 else 'those articles'} first.",
            field=FIELD,
        )
    path.unlink()
