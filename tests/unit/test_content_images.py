"""Article images (UC-ADM-13): the type from the content, re-encoding without metadata,
bombs, the size limit, and names that cannot leave the image folder."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from dra.content import images
from dra.content.images import ImageRejected, process_image
from dra.errors import Invalid, NotFound
from dra.settings import SettingsError, load_settings
from tests.support.images import (
    ACCEPTED,
    animated,
    image_bytes,
    photo_with_metadata,
    png_bomb,
    png_with_text_bomb,
    png_with_text_chunk,
)


@pytest.mark.parametrize("kind", list(ACCEPTED))
def test_each_accepted_kind_is_re_encoded_in_its_own_format(kind):
    raw = image_bytes(kind, (64, 48))
    result = process_image(raw)
    assert (result.content_type, result.width, result.height) == (ACCEPTED[kind], 64, 48)
    assert result.extension == {"JPEG": "jpg"}.get(kind, kind.lower())
    with Image.open(io.BytesIO(result.data)) as again:
        assert again.format == kind and again.size == (64, 48)


@pytest.mark.parametrize("kind", ["GIF", "WEBP"])
def test_animations_keep_their_frames(kind):
    result = process_image(animated(kind, frames=5))
    assert result.frames == 5
    with Image.open(io.BytesIO(result.data)) as again:
        assert again.n_frames == 5


def test_the_name_of_a_file_plays_no_part():
    """Only bytes reach the check: a PNG is a PNG whatever it was called, and an HTML
    page named photo.jpg is refused."""
    assert process_image(image_bytes("PNG")).content_type == "image/png"
    with pytest.raises(ImageRejected) as refused:
        process_image(b"<html><script>alert(1)</script></html>")
    assert refused.value.status == 400 and refused.value.field == "image"


@pytest.mark.parametrize(
    "raw",
    [
        image_bytes("BMP"),
        image_bytes("TIFF"),
        image_bytes("ICO", (32, 32)),
        image_bytes("PPM"),
        image_bytes("PDF"),
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n",
        b"GIF87a",  # a signature and nothing else
        b"just some text, not an image",
        b"\x00" * 1024,
    ],
    ids=["bmp", "tiff", "ico", "ppm", "pdf-by-pillow", "svg", "pdf", "gif-stub", "text", "zeros"],
)
def test_wrong_kinds_are_refused_with_the_message(raw):
    with pytest.raises(ImageRejected) as refused:
        process_image(raw)
    assert refused.value.status == 400 and refused.value.field == "image"
    assert refused.value.message == "Only JPG, PNG, GIF and WebP images are accepted."


@pytest.mark.parametrize(
    "raw", [image_bytes("PNG")[:60], image_bytes("JPEG")[:200]], ids=["png", "jpeg"]
)
def test_truncated_images_are_refused(raw):
    with pytest.raises(ImageRejected, match="damaged or incomplete") as refused:
        process_image(raw)
    assert refused.value.status == 400


def test_a_decompression_bomb_is_refused_before_decoding():
    # 8000 x 8000 = 64 million pixels: under Pillow's own limit, over ours
    with pytest.raises(ImageRejected, match="too large to process: 8000 x 8000") as refused:
        process_image(png_bomb(8000, 8000))
    assert refused.value.status == 400 and refused.value.field == "image"
    # 30000 x 30000: Pillow refuses it itself; the answer is the same kind of 400
    with pytest.raises(ImageRejected, match="too large to process") as refused:
        process_image(png_bomb(30_000, 30_000))
    assert refused.value.status == 400


def test_too_many_frames_and_a_text_bomb_are_refused():
    with pytest.raises(ImageRejected, match="in 501 frames"):
        process_image(animated("GIF", frames=501, size=(2, 2)))
    with pytest.raises(ImageRejected) as refused:
        process_image(png_with_text_bomb())
    assert refused.value.status == 400


@pytest.mark.parametrize("kind", ["JPEG", "PNG", "WEBP"])
def test_metadata_is_stripped_and_the_orientation_applied(kind):
    raw = photo_with_metadata(kind)
    assert b"SECRET" in raw
    result = process_image(raw)
    assert b"SECRET" not in result.data
    assert (result.width, result.height) == (40, 80)  # orientation 6: turned upright
    with Image.open(io.BytesIO(result.data)) as again:
        assert not again.getexif() and "icc_profile" not in again.info


def test_png_text_chunks_are_dropped_and_transparency_kept():
    assert b"SECRET" not in process_image(png_with_text_chunk()).data
    palette = Image.new("P", (10, 10), 0)
    palette.putpalette([255, 0, 0, 0, 255, 0])
    palette.putpixel((0, 0), 1)
    alpha = Image.new("RGBA", (10, 10), (0, 0, 255, 255))
    alpha.putpixel((0, 0), (0, 0, 255, 0))
    for picture, options in ((palette, {"transparency": 1}), (alpha, {})):
        out = io.BytesIO()
        picture.save(out, format="PNG", **options)
        with Image.open(io.BytesIO(process_image(out.getvalue()).data)) as again:
            rgba = again.convert("RGBA")
            assert rgba.getpixel((0, 0))[3] == 0 and rgba.getpixel((5, 5))[3] == 255


def test_upload_size_limit_answers_413():
    with pytest.raises(ImageRejected) as refused:
        images.read_upload(io.BytesIO(b"x" * 2049), max_bytes=2048)
    assert refused.value.status == 413 and refused.value.field == "image"
    assert images.read_upload(io.BytesIO(b"x" * 2048), max_bytes=2048) == b"x" * 2048
    with pytest.raises(ImageRejected, match="Choose an image"):
        images.read_upload(io.BytesIO(b""))
    assert images.too_large_message(10 * 2**20) == "The image is larger than 10 MB."


def test_stored_images_get_random_names_and_nothing_else_is_opened(tmp_path):
    first = images.store_image(tmp_path, process_image(image_bytes("PNG")))
    second = images.store_image(tmp_path, process_image(image_bytes("PNG")))
    assert first.name != second.name
    assert images.NAME_PATTERN.fullmatch(first.name) and first.url == f"/images/{first.name}"
    assert {i.name for i in images.list_images(tmp_path)} == {first.name, second.name}
    assert images.image_path(tmp_path, first.name) == tmp_path / "images" / first.name
    (tmp_path / "secret_key").write_text("s3cret")
    (tmp_path / "images" / "notes.png").write_bytes(b"x")
    for name in (
        "../secret_key",
        "..%2fsecret_key",
        "/etc/passwd",
        "notes.png",
        first.name.upper(),
        first.name[:-3] + "svg",
        first.name + "/..",
        "",
    ):
        with pytest.raises(NotFound):
            images.image_path(tmp_path, name)
    assert [i.name for i in images.list_images(tmp_path)].count("notes.png") == 0


def test_an_article_may_only_use_stored_images(tmp_path):
    stored = images.store_image(tmp_path, process_image(image_bytes("GIF")))
    assert images.check_image_url(tmp_path, stored.url, field="cover_image") == stored.url
    assert images.check_image_url(tmp_path, stored.name, field="cover_image") == stored.url
    assert images.check_image_url(tmp_path, "  ", field="cover_image") is None
    for value in ("https://evil.example/x.png", "/images/../secret_key", "/images/0.png"):
        with pytest.raises(Invalid) as refused:
            images.check_image_url(tmp_path, value, field="cover_image")
        assert refused.value.field == "cover_image"


def test_the_image_limit_setting(tmp_path):
    env = {"DRA_DATA_DIR": str(tmp_path)}
    assert load_settings(env).image_max_bytes == 10 * 2**20
    assert load_settings(env | {"DRA_IMAGE_MAX_BYTES": "2048"}).image_max_bytes == 2048
    with pytest.raises(SettingsError, match="DRA_IMAGE_MAX_BYTES"):
        load_settings(env | {"DRA_IMAGE_MAX_BYTES": "0"})
