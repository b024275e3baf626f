"""Articles (UC-ADM-09): written in Markdown by platform admins, public once published.

An article is a draft, published or archived. Publishing stamps ``published_at`` the
first time (the public list is ordered by it); unpublishing makes it a draft again;
archiving takes it off the public site for good, until it is published again. Only
published articles are public (the queries say so, and row-level security lets only
platform admins read the others).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from dra.content.categories import category_by_slug
from dra.content.images import check_image_url
from dra.content.markdown import MAX_BODY_CHARS, plain_text
from dra.content.slugs import SLUG_IN_USE, choose_slug, flush_or_conflict
from dra.errors import Invalid, NotFound, one_line_text
from dra.models import Article, ArticleCategory
from dra.models.base import utcnow
from dra.models.content import ArticleStatus

TITLE_MAX = 200
SUMMARY_MAX = 500
FIELDS = ("title", "slug", "summary", "category_id", "cover_image", "body")
ACTIONS = {  # action -> the status it leads to
    "publish": ArticleStatus.PUBLISHED,
    "unpublish": ArticleStatus.DRAFT,
    "archive": ArticleStatus.ARCHIVED,
}
PER_PAGE = 10
UNIQUE = {"uq_articles_slug": ("slug", SLUG_IN_USE)}


@dataclass(frozen=True)
class ArticleValues:
    title: str
    slug: str
    summary: str | None
    category_id: int | None
    cover_image_url: str | None
    body: str


def get_article(session: Session, article_id: int) -> Article:
    article = session.get(Article, article_id)
    if article is None:
        raise NotFound("No such article.")
    return article


def _slug_taken(session: Session, slug: str, current: Article | None) -> bool:
    query = select(Article.id).where(Article.slug == slug)
    if current is not None:
        query = query.where(Article.id != current.id)
    return session.scalar(query) is not None


def _category_id(session: Session, raw: object) -> int | None:
    text = raw.strip() if isinstance(raw, str) else str(raw or "")
    if not text:
        return None
    if not text.isdigit() or session.get(ArticleCategory, int(text)) is None:
        raise Invalid("Choose one of the categories.", field="category_id")
    return int(text)


def parse_values(
    session: Session, data_dir: Path, form: Mapping[str, str], current: Article | None = None
) -> ArticleValues:
    """The form's values, checked; Invalid (422) or Conflict (409, the slug) naming the
    field. A blank slug keeps the article's own, or is made from the title."""
    title = one_line_text(
        form.get("title"),
        missing=Invalid("Give the article a title.", field="title"),
        too_long=Invalid(f"A title is at most {TITLE_MAX} characters.", field="title"),
        limit=TITLE_MAX,
    )
    typed_slug = form.get("slug") or ""
    if current is not None and not typed_slug.strip():
        slug = current.slug
    else:
        slug = choose_slug(typed_slug, title, lambda s: _slug_taken(session, s, current))
    summary = " ".join((form.get("summary") or "").split())
    if len(summary) > SUMMARY_MAX:
        raise Invalid(f"A summary is at most {SUMMARY_MAX} characters.", field="summary")
    body = (form.get("body") or "").replace("\r\n", "\n")
    if len(body) > MAX_BODY_CHARS:
        raise Invalid(
            f"The body is {len(body):,} characters long; at most {MAX_BODY_CHARS:,}.",
            field="body",
        )
    return ArticleValues(
        title=title,
        slug=slug,
        summary=summary or None,
        category_id=_category_id(session, form.get("category_id")),
        cover_image_url=check_image_url(data_dir, form.get("cover_image"), field="cover_image"),
        body=body,
    )


def _apply(article: Article, values: ArticleValues) -> None:
    article.title = values.title
    article.slug = values.slug
    article.summary = values.summary
    article.category_id = values.category_id
    article.cover_image_url = values.cover_image_url
    article.body = values.body


def create_article(
    session: Session, data_dir: Path, form: Mapping[str, str], *, author_id: int
) -> Article:
    """A new draft."""
    article = Article(author_id=author_id, status=ArticleStatus.DRAFT)
    _apply(article, parse_values(session, data_dir, form))
    session.add(article)
    flush_or_conflict(session, UNIQUE)
    return article


def update_article(
    session: Session, data_dir: Path, article_id: int, form: Mapping[str, str]
) -> Article:
    article = get_article(session, article_id)
    _apply(article, parse_values(session, data_dir, form, article))
    flush_or_conflict(session, UNIQUE)
    return article


def set_status(session: Session, article_id: int, action: str) -> Article:
    """Publish, unpublish or archive an article."""
    if action not in ACTIONS:
        raise Invalid("Choose publish, unpublish or archive.", field="action")
    article = get_article(session, article_id)
    article.status = ACTIONS[action]
    if article.status == ArticleStatus.PUBLISHED and article.published_at is None:
        article.published_at = utcnow()
    session.flush()
    return article


def list_articles(session: Session, status: str | None = None) -> list[Article]:
    """Every article for the admin list, last changed first (optionally one status)."""
    query = select(Article).options(joinedload(Article.category))
    if status in set(ArticleStatus):
        query = query.where(Article.status == status)
    return list(session.scalars(query.order_by(Article.updated_at.desc(), Article.id.desc())))


# --- the public site ------------------------------------------------------------------------


@dataclass(frozen=True)
class PublicPage:
    articles: list[Article]
    page: int
    pages: int
    total: int
    category: ArticleCategory | None


def public_page(
    session: Session, page: int = 1, category_slug: str | None = None, per_page: int = PER_PAGE
) -> PublicPage:
    """One page of published articles, newest first, of one category when given (an
    unknown category: 404; a page past the last: 404)."""
    category = category_by_slug(session, category_slug) if category_slug else None
    published = Article.status == ArticleStatus.PUBLISHED
    where = [published] if category is None else [published, Article.category_id == category.id]
    total = session.scalar(select(func.count()).select_from(Article).where(*where)) or 0
    pages = max(1, -(-total // per_page))
    if page < 1 or page > pages:
        raise NotFound("No such page.")
    articles = session.scalars(
        select(Article)
        .options(joinedload(Article.category))
        .where(*where)
        .order_by(Article.published_at.desc(), Article.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return PublicPage(list(articles), page, pages, total, category)


def article_by_slug(session: Session, slug: str, *, include_unpublished: bool) -> Article:
    """The article at ``/blog/<slug>``: published ones for everyone, the others only
    when ``include_unpublished`` (platform admins previewing)."""
    query = select(Article).options(joinedload(Article.category)).where(Article.slug == slug)
    if not include_unpublished:
        query = query.where(Article.status == ArticleStatus.PUBLISHED)
    article = session.scalar(query)
    if article is None:
        raise NotFound("No such article.")
    return article


def form_of(article: Article | None) -> dict[str, str]:
    """The edit form's values of an article (empty for a new one)."""
    if article is None:
        return dict.fromkeys(FIELDS, "")
    return {
        "title": article.title,
        "slug": article.slug,
        "summary": article.summary or "",
        "category_id": "" if article.category_id is None else str(article.category_id),
        "cover_image": article.cover_image_url or "",
        "body": article.body,
    }


def public_categories(session: Session) -> list[ArticleCategory]:
    """The categories that have published articles, by name (the blog's filter links)."""
    return list(
        session.scalars(
            select(ArticleCategory)
            .where(
                ArticleCategory.id.in_(
                    select(Article.category_id).where(Article.status == ArticleStatus.PUBLISHED)
                )
            )
            .order_by(func.lower(ArticleCategory.name))
        )
    )


def description(article: Article, limit: int = 160) -> str:
    """The article's summary, or the start of its text (for meta and Open Graph tags)."""
    text = article.summary or plain_text(article.body)
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"
