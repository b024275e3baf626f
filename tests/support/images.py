"""Images made in the tests with Pillow: one of each accepted kind, wrong kinds, bombs."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image

ACCEPTED = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}


def image_bytes(kind: str, size: tuple[int, int] = (64, 48), **options) -> bytes:
    """A small picture in a format Pillow writes (JPEG, PNG, GIF, WEBP, BMP, TIFF, ICO...)."""
    mode = "RGBA" if kind in ("PNG", "WEBP", "ICO") else "RGB"
    picture = Image.new(mode, size, (30, 120, 200, 255) if mode == "RGBA" else (30, 120, 200))
    for x in range(size[0] // 2):  # some detail, so the encoders have work to do
        picture.putpixel(
            (x, x % size[1]), (250, 200, 10, 255) if mode == "RGBA" else (250, 200, 10)
        )
    out = io.BytesIO()
    picture.save(out, format=kind, **options)
    return out.getvalue()


def animated(kind: str, frames: int = 4, size: tuple[int, int] = (32, 32)) -> bytes:
    pictures = [Image.new("RGB", size, (i * 50 % 256, 80, 160)) for i in range(frames)]
    out = io.BytesIO()
    pictures[0].save(
        out, format=kind, save_all=True, append_images=pictures[1:], duration=120, loop=0
    )
    return out.getvalue()


def photo_with_metadata(kind: str = "JPEG") -> bytes:
    """A picture carrying EXIF (a description, GPS position, orientation 6: turned 90°)."""
    picture = Image.new("RGB", (80, 40), (10, 200, 30))
    exif = picture.getexif()
    exif[0x010E] = "SECRET-DESCRIPTION"
    exif[0x0131] = "SECRET-CAMERA-SOFTWARE"
    exif[0x0112] = 6
    exif.get_ifd(0x8825)[2] = (48.0, 51.0, 24.0)  # GPS latitude
    out = io.BytesIO()
    picture.save(out, format=kind, exif=exif, icc_profile=b"SECRET-ICC-PROFILE" * 4)
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(width: int = 30_000, height: int = 30_000) -> bytes:
    """A valid PNG header claiming width x height pixels, with a tiny (truncated) body:
    what matters is that it must be refused before anything is decoded."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    row = b"\x00" + b"\x00" * width
    body = zlib.compress(row * 64, 9)  # a few rows only
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", body)
        + _chunk(b"IEND", b"")
    )


def png_with_text_bomb() -> bytes:
    """A tiny PNG with a compressed text chunk that inflates to 64 MB."""
    good = image_bytes("PNG", (8, 8))
    text = _chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(b"A" * (64 * 1024 * 1024), 9))
    return good[:33] + text + good[33:]  # after the 8-byte signature and the IHDR chunk


def png_with_text_chunk() -> bytes:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "SECRET-AUTHOR")
    info.add_itxt("Comment", "SECRET-COMMENT", zip=True)
    return image_bytes("PNG", (16, 16), pnginfo=info)
