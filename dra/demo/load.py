"""Loading the demo project: an admin, a shop project, its CSV sources, a data model and a
dashboard over it (idempotent)."""

from __future__ import annotations

from sqlalchemy import func, select

from dra.db import Database
from dra.demo.content import DASHBOARD_NAME, ensure_demo_content
from dra.demo.generate import FILES, generate
from dra.models import (
    DataSource,
    Project,
    ProjectMember,
    SubscriptionTier,
    User,
    UserSubscription,
)
from dra.pipeline_requests import enqueue, open_request
from dra.security.passwords import hash_password
from dra.settings import Settings

DEMO_PROJECT = "Demo shop"
SOURCE_NAMES = {
    "customers.csv": "Customers",
    "products.csv": "Products",
    "orders.csv": "Orders",
    "web_events.csv": "Web events",
}


def load_demo(url: str, settings: Settings) -> str:
    """Create what is missing of the demo; queue ingestion of sources never ingested."""
    demo_dir = settings.data_dir / "demo"
    if not all((demo_dir / f).exists() for f in FILES):
        generate(demo_dir)
    database = Database(url)
    try:
        with database.system_session() as s:
            admin = s.scalar(
                select(User).where(func.lower(User.email) == settings.demo_admin_email.lower())
            )
            if admin is None:
                admin = User(
                    email=settings.demo_admin_email,
                    password_hash=hash_password(settings.demo_admin_password),
                    first_name="Demo",
                    last_name="Admin",
                    is_verified=True,
                    is_platform_admin=True,
                    is_db_admin=True,
                )
                s.add(admin)
                s.flush()
            _top_tier(s, admin.id)
            project = s.scalar(
                select(Project).where(Project.owner_id == admin.id, Project.name == DEMO_PROJECT)
            )
            if project is None:
                project = Project(
                    owner_id=admin.id,
                    name=DEMO_PROJECT,
                    description="A small coffee shop: customers, products, "
                    "orders and website visits with UTM tags.",
                )
                s.add(project)
                s.flush()
                s.add(ProjectMember(project_id=project.id, user_id=admin.id, role="owner"))
            queued = 0
            for file_name in FILES:
                source = s.scalar(
                    select(DataSource).where(
                        DataSource.project_id == project.id,
                        DataSource.name == SOURCE_NAMES[file_name],
                    )
                )
                if source is None:
                    path = demo_dir / file_name
                    source = DataSource(
                        project_id=project.id,
                        name=SOURCE_NAMES[file_name],
                        type="csv",
                        status="pending",
                        file_path=str(path.relative_to(settings.data_dir)),
                        original_filename=file_name,
                        file_size_bytes=path.stat().st_size,
                        created_by=admin.id,
                    )
                    s.add(source)
                    s.flush()
                if (
                    source.last_refreshed_at is None
                    and open_request(s, "ingest_source", source.id) is None
                ):
                    enqueue(
                        s,
                        "ingest_source",
                        target_id=source.id,
                        project_id=project.id,
                        requested_by=admin.id,
                    )
                    queued += 1
            # Website visits double as the project's attribution events.
            from dra.attribution.demo import import_web_events

            import_web_events(s, project.id, demo_dir / "web_events.csv")
            # A model and a dashboard over it (built once the sources are ingested).
            ensure_demo_content(s, project.id, admin.id)
            return (
                f"project {DEMO_PROJECT!r} #{project.id}, {len(FILES)} sources, "
                f"{queued} ingestion request(s) queued, dashboard {DASHBOARD_NAME!r}"
            )
    finally:
        database.dispose()


def _top_tier(session, user_id: int) -> None:
    """Put the demo admin on the top tier (once: a tier an admin chose later is kept).

    Platform admins are exempt from tier limits anyway (dra.billing.limits); the
    subscription makes the account pages say so too.
    """
    if session.scalar(select(UserSubscription.id).where(UserSubscription.user_id == user_id)):
        return
    top = session.scalar(
        select(SubscriptionTier.id)
        .order_by(SubscriptionTier.sort_order.desc(), SubscriptionTier.id.desc())
        .limit(1)
    )
    if top is not None:
        session.add(UserSubscription(user_id=user_id, tier_id=top))
        session.flush()
