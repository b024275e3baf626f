"""Admin pages of the public site (UC-ADM-09, 10, 11, 13): platform admins only.

Every change to an article or a category is committed, then the sitemap is written
again (``regenerate_sitemap``). The request session acts as the platform admin, for
whom row-level security opens drafts and archived articles.
"""

from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from dra.content import articles, categories, images, sitemap
from dra.content.markdown import render_markdown
from dra.errors import DraError
from webapp.authz import platform_admin_required
from webapp.content import regenerate_sitemap
from webapp.content.forms import ArticleForm, CategoryForm, ImageForm
from webapp.database import app_settings, db_session
from webapp.errors import flashed, on_error, wants_json

bp = Blueprint("content_admin", __name__, url_prefix="/admin")


# --- articles (UC-ADM-09) -------------------------------------------------------------------


@bp.get("/articles")
@platform_admin_required
def articles_list():
    status = request.args.get("status") or None
    return render_template(
        "content/admin_articles.html",
        articles=articles.list_articles(db_session(), status),
        status=status,
    )


def _article_form(article, form: dict, error: DraError | None = None, preview: str | None = None):
    return render_template(
        "content/article_form.html",
        article=article,
        form=form,
        errors=error.errors if error else {},
        preview=preview,
        categories=[row.category for row in categories.list_categories(db_session())],
        images=images.list_images(app_settings().data_dir),
    )


def _save_or_preview(article):
    """POST of the article form: ``action=preview`` shows the body rendered (nothing is
    saved); otherwise the article is created or saved, then the sitemap written."""
    form = ArticleForm().data
    if request.form.get("action") == "preview":
        return _article_form(article, form, preview=render_markdown(form["body"] or ""))
    on_error(lambda exc: _article_form(article, form, exc))
    data_dir = app_settings().data_dir
    if article is None:
        saved = articles.create_article(db_session(), data_dir, form, author_id=current_user.id)
        message = f"Draft “{saved.title}” created."
    else:
        saved = articles.update_article(db_session(), data_dir, article.id, form)
        message = f"“{saved.title}” saved."
    article_id = saved.id
    regenerate_sitemap()
    flash(message, "success")
    return redirect(url_for("content_admin.article_edit", article_id=article_id))


@bp.route("/articles/new", methods=["GET", "POST"])
@platform_admin_required
def article_new():
    if request.method == "POST":
        return _save_or_preview(None)
    return _article_form(None, articles.form_of(None))


@bp.route("/articles/<int:article_id>", methods=["GET", "POST"])
@platform_admin_required
def article_edit(article_id: int):
    article = articles.get_article(db_session(), article_id)
    if request.method == "POST":
        return _save_or_preview(article)
    return _article_form(article, articles.form_of(article))


@bp.post("/articles/<int:article_id>/<any(publish, unpublish, archive):action>")
@platform_admin_required
def article_status(article_id: int, action: str):
    article = articles.set_status(db_session(), article_id, action)
    title, status = article.title, article.status
    regenerate_sitemap()
    flash(f"“{title}” is now {status}.", "success")
    return redirect(url_for("content_admin.article_edit", article_id=article_id))


# --- categories (UC-ADM-10) -----------------------------------------------------------------


def _categories_page(form: dict | None = None, error: DraError | None = None, edit_id: int = 0):
    return render_template(
        "content/categories.html",
        rows=categories.list_categories(db_session()),
        form=form or dict.fromkeys(categories.FIELDS, ""),
        error=error,
        edit_id=edit_id,
    )


@bp.route("/categories", methods=["GET", "POST"])
@platform_admin_required
def categories_list():
    if request.method == "POST":
        form = CategoryForm().data
        on_error(lambda exc: _categories_page(form, exc))
        category = categories.create_category(db_session(), form)
        name = category.name
        regenerate_sitemap()
        flash(f"Category “{name}” created.", "success")
        return redirect(url_for("content_admin.categories_list"))
    return _categories_page()


@bp.post("/categories/<int:category_id>")
@platform_admin_required
def category_edit(category_id: int):
    form = CategoryForm().data
    on_error(lambda exc: _categories_page(None, exc, category_id))
    category = categories.update_category(db_session(), category_id, form)
    name = category.name
    regenerate_sitemap()
    flash(f"Category “{name}” saved.", "success")
    return redirect(url_for("content_admin.categories_list"))


@bp.post("/categories/<int:category_id>/delete")
@platform_admin_required
def category_delete(category_id: int):
    on_error(flashed(_categories_page))
    name = categories.delete_category(db_session(), category_id)
    regenerate_sitemap()
    flash(f"Category “{name}” deleted.", "success")
    return redirect(url_for("content_admin.categories_list"))


# --- images (UC-ADM-13) ---------------------------------------------------------------------


def _images_page(error: DraError | None = None):
    data_dir = app_settings().data_dir
    return render_template(
        "content/images.html",
        images=images.list_images(data_dir),
        error=error,
        max_mb=app_settings().image_max_bytes / 2**20,
    )


@bp.get("/images")
@platform_admin_required
def images_list():
    return _images_page()


@bp.post("/images/upload")
@platform_admin_required
def image_upload():
    """Multipart ``image``: checked, re-encoded and stored; 201 JSON with its URL for JSON
    clients, else back to the list. 400 not an accepted image (or a bomb), 413 too big."""
    on_error(_images_page)
    limit = app_settings().image_max_bytes
    upload = ImageForm().image.data
    if upload is None or not upload.filename:
        raise images.ImageRejected("Choose an image to upload.", field=images.FIELD)
    processed = images.process_image(images.read_upload(upload.stream, limit))
    stored = images.store_image(app_settings().data_dir, processed)
    if wants_json():
        body = {
            "name": stored.name,
            "url": stored.url,
            "contentType": stored.content_type,
            "size": stored.size,
            "width": processed.width,
            "height": processed.height,
        }
        return jsonify(body), 201, {"Location": stored.url}
    flash(f"Image uploaded ({processed.width} x {processed.height}): {stored.url}", "success")
    return redirect(url_for("content_admin.images_list"))


@bp.post("/images/<name>/delete")
@platform_admin_required
def image_delete(name: str):
    on_error(flashed(_images_page))
    images.delete_image(db_session(), app_settings().data_dir, name)
    flash("Image deleted.", "success")
    return redirect(url_for("content_admin.images_list"))


# --- sitemap (UC-ADM-11) --------------------------------------------------------------------


@bp.route("/sitemap", methods=["GET", "POST"])
@platform_admin_required
def sitemap_page():
    settings = app_settings()
    if request.method == "POST":
        current = regenerate_sitemap()
        flash(f"Sitemap regenerated: {current.urls} URLs.", "success")
        return redirect(url_for("content_admin.sitemap_page"))
    current = sitemap.current_sitemap(db_session(), settings.data_dir, settings.public_base_url)
    return render_template(
        "content/sitemap.html",
        sitemap=current,
        xml=current.xml.decode("utf-8"),
        robots=sitemap.robots_txt(settings.public_base_url),
    )
