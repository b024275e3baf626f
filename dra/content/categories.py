"""Article categories (UC-ADM-10): create, rename, delete when empty."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dra.content.slugs import SLUG_IN_USE, choose_slug, flush_or_conflict
from dra.errors import Conflict, Invalid, NotFound, one_line_text
from dra.models import Article, ArticleCategory

NAME_MAX = 100
DESCRIPTION_MAX = 1000
HAS_ARTICLES = "Move its articles to another category first."
FIELDS = ("name", "slug", "description")
NAME_IN_USE = "A category with this name already exists."
UNIQUE = {
    "uq_article_categories_name": ("name", NAME_IN_USE),
    "uq_article_categories_slug": ("slug", SLUG_IN_USE),
}


@dataclass(frozen=True)
class CategoryRow:
    category: ArticleCategory
    articles: int
    published: int


def list_categories(session: Session) -> list[CategoryRow]:
    """Every category by name, with its number of articles (all, and published)."""
    counts = (
        select(
            Article.category_id,
            func.count().label("articles"),
            func.count().filter(Article.status == "published").label("published"),
        )
        .group_by(Article.category_id)
        .subquery()
    )
    rows = session.execute(
        select(ArticleCategory, counts.c.articles, counts.c.published)
        .outerjoin(counts, counts.c.category_id == ArticleCategory.id)
        .order_by(func.lower(ArticleCategory.name))
    ).all()
    return [CategoryRow(c, articles or 0, published or 0) for c, articles, published in rows]


def get_category(session: Session, category_id: int) -> ArticleCategory:
    category = session.get(ArticleCategory, category_id)
    if category is None:
        raise NotFound("No such category.")
    return category


def category_by_slug(session: Session, slug: str) -> ArticleCategory:
    category = session.scalar(select(ArticleCategory).where(ArticleCategory.slug == slug))
    if category is None:
        raise NotFound("No such category.")
    return category


def _values(session: Session, form: Mapping[str, str], current: ArticleCategory | None):
    name = one_line_text(
        form.get("name"),
        missing=Invalid("Give the category a name.", field="name"),
        too_long=Invalid(f"A name is at most {NAME_MAX} characters.", field="name"),
        limit=NAME_MAX,
    )
    clash = session.scalar(
        select(ArticleCategory.id).where(
            func.lower(ArticleCategory.name) == name.lower(),
            ArticleCategory.id != (current.id if current else -1),
        )
    )
    if clash is not None:
        raise Conflict(NAME_IN_USE, field="name")
    description = (form.get("description") or "").strip()
    if len(description) > DESCRIPTION_MAX:
        raise Invalid(
            f"A description is at most {DESCRIPTION_MAX} characters.", field="description"
        )
    typed = form.get("slug")
    if current is not None and not (typed or "").strip():
        slug = current.slug  # renaming keeps the category's address unless a slug is typed
    else:
        slug = choose_slug(
            typed,
            name,
            lambda s: _slug_taken(session, s, current),
            source_label="name",
        )
    return name, slug, description or None


def _slug_taken(session: Session, slug: str, current: ArticleCategory | None) -> bool:
    return (
        session.scalar(
            select(ArticleCategory.id).where(
                ArticleCategory.slug == slug,
                ArticleCategory.id != (current.id if current else -1),
            )
        )
        is not None
    )


def create_category(session: Session, form: Mapping[str, str]) -> ArticleCategory:
    """A new category; its slug is made from the name unless one is given."""
    name, slug, description = _values(session, form, None)
    category = ArticleCategory(name=name, slug=slug, description=description)
    session.add(category)
    flush_or_conflict(session, UNIQUE)
    return category


def update_category(session: Session, category_id: int, form: Mapping[str, str]) -> ArticleCategory:
    """Rename a category (and change its slug or description when given)."""
    category = get_category(session, category_id)
    category.name, category.slug, category.description = _values(session, form, category)
    flush_or_conflict(session, UNIQUE)
    return category


def delete_category(session: Session, category_id: int) -> str:
    """Delete an empty category; one that still has articles: 409."""
    category = get_category(session, category_id)
    used = session.scalar(
        select(func.count()).select_from(Article).where(Article.category_id == category.id)
    )
    if used:
        raise Conflict(HAS_ARTICLES, field="category")
    session.delete(category)
    session.flush()
    return category.name
