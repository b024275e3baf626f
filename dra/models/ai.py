"""AI data modeler sessions, saved conversations, monthly AI usage and insights."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Date, Index, Integer, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dra.models.base import Base, TimestampMixin
from dra.models.columns import (
    CreatedAtMixin,
    IdMixin,
    at_least,
    by_user,
    choice,
    foreign_key,
    integer,
    json_array,
    json_object,
    key_part,
    one_of,
    timestamp,
)


class AISessionStatus(StrEnum):
    ACTIVE = "active"
    SAVED = "saved"
    DISCARDED = "discarded"
    EXPIRED = "expired"


class MessageRole(StrEnum):
    USER = "user"
    ASSISTANT = "assistant"
    SYSTEM = "system"


class AISession(IdMixin, TimestampMixin, Base):
    """A live AI modeling chat (what the original kept in Redis with a 24 h TTL).

    Single-source sessions set ``data_source_id`` (one active session per user and
    source); cross-source sessions leave it NULL and list every source in
    ``data_source_ids``. Its conversation is in ``ai_session_messages`` (one row per
    message, appended), ``draft`` the model being edited. Saving copies the messages
    into ``ai_conversations``/``ai_messages``.
    """

    __tablename__ = "ai_sessions"
    __table_args__ = (
        one_of("status", AISessionStatus),
        Index(
            "uq_ai_sessions_active_user_source",
            "user_id",
            "data_source_id",
            unique=True,
            postgresql_where=text("status = 'active' AND data_source_id IS NOT NULL"),
        ),
        Index("ix_ai_sessions_status_expires_at", "status", "expires_at"),
    )

    project_id: Mapped[int] = foreign_key("projects.id", ondelete="CASCADE")
    user_id: Mapped[int] = foreign_key("users.id", ondelete="CASCADE")
    data_source_id: Mapped[int | None] = foreign_key(
        "data_sources.id", ondelete="CASCADE", nullable=True
    )
    data_source_ids: Mapped[list[int]] = json_array()
    status: Mapped[str] = choice(AISessionStatus.ACTIVE)
    schema_context: Mapped[str | None] = mapped_column(Text, doc="schema as Markdown")
    draft: Mapped[dict[str, Any]] = json_object()
    expires_at: Mapped[datetime] = timestamp(nullable=False)


class AISessionMessage(CreatedAtMixin, Base):
    """One message of a live session's conversation, in ``position`` order: the
    analyst's (``content`` the text) or the assistant's (``content`` the model's raw
    answer, ``payload`` the checked answer, ``seen`` what it was sent). A chat turn
    appends its two rows and rewrites none; the rows go with their session."""

    __tablename__ = "ai_session_messages"
    __table_args__ = (one_of("role", MessageRole),)

    session_id: Mapped[int] = key_part("ai_sessions.id")
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    content: Mapped[str] = mapped_column(Text, nullable=False)
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    seen: Mapped[dict[str, Any] | None] = mapped_column(JSONB)


class AIConversation(IdMixin, TimestampMixin, Base):
    """A saved AI modeling conversation, usually attached to the model it produced."""

    __tablename__ = "ai_conversations"

    project_id: Mapped[int] = foreign_key("projects.id", ondelete="CASCADE")
    user_id: Mapped[int | None] = foreign_key("users.id", ondelete="SET NULL", nullable=True)
    data_model_id: Mapped[int | None] = foreign_key(
        "data_models.id", ondelete="CASCADE", nullable=True
    )
    data_source_ids: Mapped[list[int]] = json_array()
    title: Mapped[str] = mapped_column(String(200), nullable=False)

    messages: Mapped[list[AIMessage]] = relationship(
        back_populates="conversation",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="AIMessage.created_at, AIMessage.id",
    )


class AIMessage(IdMixin, CreatedAtMixin, Base):
    """One turn of a saved conversation; ``payload`` keeps the structured answer
    (analysis, proposed models, SQL) of assistant messages."""

    __tablename__ = "ai_messages"
    __table_args__ = (
        one_of("role", MessageRole),
        Index("ix_ai_messages_conversation_id_created_at", "conversation_id", "created_at"),
    )

    conversation_id: Mapped[int] = foreign_key(
        "ai_conversations.id", ondelete="CASCADE", index=False
    )
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    content: Mapped[str] = mapped_column(Text, nullable=False)
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSONB)

    conversation: Mapped[AIConversation] = relationship(back_populates="messages")


class AIUsage(Base):
    """AI generations per user and calendar month (UTC), for the tier's monthly cap.

    Increment with ``INSERT ... ON CONFLICT (user_id, month) DO UPDATE SET count =
    ai_usage.count + 1``; ``month`` is the first day of the month.
    """

    __tablename__ = "ai_usage"
    __table_args__ = (at_least("count", 0),)

    user_id: Mapped[int] = key_part("users.id")
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    count: Mapped[int] = integer(0)


class InsightKind(StrEnum):
    NARRATIVE = "narrative"
    """A generated insight set: the insights and the facts they cite."""
    FACTS = "facts"
    """Facts the pipeline recomputed after a build (one row per model), no narrative."""


class Insight(IdMixin, CreatedAtMixin, Base):
    """Findings about a data model, source or dashboard (UC-INS-01/02, ``dra.insights``).

    ``content`` holds the insights and the facts (ids, numbers, sentences, SQL);
    ``model_version`` is the model's version the facts were computed on.
    """

    __tablename__ = "insights"
    __table_args__ = (
        Index("ix_insights_data_model_id_created_at", "data_model_id", "created_at"),
        one_of("kind", InsightKind),
    )

    project_id: Mapped[int] = foreign_key("projects.id", ondelete="CASCADE")
    data_model_id: Mapped[int | None] = foreign_key(
        "data_models.id", ondelete="CASCADE", nullable=True, index=False
    )
    data_source_id: Mapped[int | None] = foreign_key(
        "data_sources.id", ondelete="CASCADE", nullable=True
    )
    dashboard_id: Mapped[int | None] = foreign_key(
        "dashboards.id", ondelete="CASCADE", nullable=True
    )
    content: Mapped[dict[str, Any]] = json_object()
    ai_model: Mapped[str | None] = mapped_column(String(100), doc="which LLM wrote it")
    model_version: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str] = choice(InsightKind.NARRATIVE)
    created_by: Mapped[int | None] = by_user()
