"""Dashboards, their widgets and public share links."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import CheckConstraint, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dra.models.base import Base, TimestampMixin
from dra.models.columns import (
    CreatedAtMixin,
    IdMixin,
    at_least,
    by_user,
    foreign_key,
    integer,
    json_object,
    timestamp,
)

if TYPE_CHECKING:
    from dra.models.data_models import DataModel
    from dra.models.projects import Project

PUBLIC_LINK_TOKEN_LENGTH = 64


class Dashboard(IdMixin, TimestampMixin, Base):
    """A grid of widgets in a project.

    ``version`` is the ORM's optimistic lock (``version_id_col``): every UPDATE
    issued through the ORM adds ``WHERE version = <loaded>`` and increments it, so a
    concurrent save raises ``StaleDataError`` instead of silently overwriting. To
    check a version sent by a browser, compare it with the loaded one first.
    """

    __tablename__ = "dashboards"
    __table_args__ = (at_least("version", 1),)

    project_id: Mapped[int] = foreign_key("projects.id", ondelete="CASCADE")
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    layout: Mapped[dict[str, Any]] = json_object()
    filters: Mapped[dict[str, Any]] = json_object()
    version: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")
    created_by: Mapped[int | None] = by_user()

    project: Mapped[Project] = relationship(back_populates="dashboards")
    widgets: Mapped[list[DashboardWidget]] = relationship(
        back_populates="dashboard",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="DashboardWidget.y, DashboardWidget.x, DashboardWidget.id",
    )
    public_links: Mapped[list[DashboardPublicLink]] = relationship(
        back_populates="dashboard", cascade="all, delete-orphan", passive_deletes=True
    )

    __mapper_args__ = {"version_id_col": version}


class DashboardWidget(IdMixin, TimestampMixin, Base):
    """A chart, table or metric on a dashboard, placed on a grid (x, y, w, h).

    ``data_model_id`` becomes NULL when its model is deleted (``ON DELETE SET
    NULL``): the widget stays and shows "Data model not found.". ``binding`` maps
    model columns to the chart (dimensions, measures, aggregation, filters);
    ``options`` holds presentation (colours, labels, sort). ``chart_type`` is free
    text so new chart kinds need no migration.
    """

    __tablename__ = "dashboard_widgets"
    __table_args__ = (CheckConstraint("x >= 0 AND y >= 0 AND w > 0 AND h > 0", name="position"),)

    dashboard_id: Mapped[int] = foreign_key("dashboards.id", ondelete="CASCADE")
    data_model_id: Mapped[int | None] = foreign_key(
        "data_models.id", ondelete="SET NULL", nullable=True
    )
    title: Mapped[str] = mapped_column(String(200), nullable=False, server_default="")
    chart_type: Mapped[str] = mapped_column(String(32), nullable=False)
    binding: Mapped[dict[str, Any]] = json_object()
    options: Mapped[dict[str, Any]] = json_object()
    x: Mapped[int] = integer(0)
    y: Mapped[int] = integer(0)
    w: Mapped[int] = integer(4)
    h: Mapped[int] = integer(3)

    dashboard: Mapped[Dashboard] = relationship(back_populates="widgets")
    data_model: Mapped[DataModel | None] = relationship()


class DashboardPublicLink(IdMixin, CreatedAtMixin, Base):
    """A read-only share link ``/public/<token>`` (UC-DASH-05/06).

    The token itself is stored (not a hash) because the owner must be able to copy
    the same link again later (UC-DASH-05 returns the existing key); it grants read
    access to one dashboard only and can be revoked or expire.
    """

    __tablename__ = "dashboard_public_links"

    dashboard_id: Mapped[int] = foreign_key("dashboards.id", ondelete="CASCADE")
    token: Mapped[str] = mapped_column(
        String(PUBLIC_LINK_TOKEN_LENGTH), nullable=False, unique=True
    )
    expires_at: Mapped[datetime | None] = timestamp()
    revoked_at: Mapped[datetime | None] = timestamp()
    last_accessed_at: Mapped[datetime | None] = timestamp()
    created_by: Mapped[int | None] = by_user()

    dashboard: Mapped[Dashboard] = relationship(back_populates="public_links")
