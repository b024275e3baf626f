"""Public site content managed by platform admins: articles and their categories."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dra.models.base import Base, TimestampMixin
from dra.models.columns import IdMixin, by_user, choice, foreign_key, one_of, timestamp

if TYPE_CHECKING:
    from dra.models.users import User


class ArticleStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class ArticleCategory(IdMixin, TimestampMixin, Base):
    """A blog category. Deleting one that still has articles is refused (RESTRICT)."""

    __tablename__ = "article_categories"

    name: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    slug: Mapped[str] = mapped_column(String(120), nullable=False, unique=True)
    description: Mapped[str | None] = mapped_column(Text)

    articles: Mapped[list[Article]] = relationship(back_populates="category")


class Article(IdMixin, TimestampMixin, Base):
    """A Markdown article; visible on the public site once ``published``."""

    __tablename__ = "articles"
    __table_args__ = (
        one_of("status", ArticleStatus),
        Index("ix_articles_status_published_at", "status", "published_at"),
    )

    category_id: Mapped[int | None] = foreign_key(
        "article_categories.id", ondelete="RESTRICT", nullable=True
    )
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    slug: Mapped[str] = mapped_column(String(300), nullable=False, unique=True)
    summary: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text, nullable=False, server_default="")
    cover_image_url: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = choice(ArticleStatus.DRAFT)
    author_id: Mapped[int | None] = by_user()
    published_at: Mapped[datetime | None] = timestamp()

    category: Mapped[ArticleCategory | None] = relationship(back_populates="articles")
    author: Mapped[User | None] = relationship()
