"""Deterministic sample data for the demo shop: customers, products, orders, web events."""

from __future__ import annotations

import csv
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

SEED = 20261125
START = datetime(2026, 9, 1, tzinfo=UTC)
DAYS = 75

FIRST = [
    "Ada",
    "Ben",
    "Chloe",
    "Dev",
    "Eva",
    "Finn",
    "Gita",
    "Hugo",
    "Ines",
    "Jon",
    "Kira",
    "Liam",
    "Mina",
    "Noah",
    "Olga",
    "Pia",
    "Quinn",
    "Rosa",
    "Sam",
    "Tara",
]
LAST = [
    "Adler",
    "Berg",
    "Costa",
    "Diaz",
    "Evans",
    "Fischer",
    "Garcia",
    "Hansen",
    "Ito",
    "Jensen",
    "Khan",
    "Lopez",
    "Meyer",
    "Novak",
    "Olsen",
    "Petrov",
    "Rossi",
    "Silva",
]
COUNTRIES = ["DE", "FR", "GB", "NL", "ES", "IT", "SE", "PL", "US"]
CATEGORIES = {
    "Coffee": ["Espresso beans", "Filter roast", "Decaf blend", "Cold brew pack"],
    "Tea": ["Green sencha", "Earl grey", "Rooibos", "Chai mix"],
    "Equipment": ["Hand grinder", "Pour-over kit", "Moka pot", "Milk frother", "Scale"],
    "Merch": ["Mug", "Tote bag", "T-shirt"],
}
# (utm_source, utm_medium, utm_campaign, referrer) – the channels an analyst expects to see.
TRAFFIC = [
    ("google", "cpc", "autumn_sale", "https://www.google.com/"),
    ("facebook", "paid", "retarget_q4", "https://www.facebook.com/"),
    ("newsletter", "email", "weekly_digest", ""),
    ("instagram", "social", "influencer_oct", "https://www.instagram.com/"),
    ("", "", "", "https://www.google.com/search?q=coffee"),
    ("", "", "", "https://blog.example.org/best-grinders"),
    ("", "", "", ""),
]
TRAFFIC_WEIGHTS = [22, 12, 14, 10, 18, 8, 16]
PAGES = ["/", "/shop", "/shop/coffee", "/shop/tea", "/shop/equipment", "/about", "/cart"]

FILES = ("customers.csv", "products.csv", "orders.csv", "web_events.csv")


def _iso(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")


def generate(
    out_dir: Path, *, customers: int = 400, orders: int = 2500, visitors: int = 1500
) -> dict[str, int]:
    """Write the four demo CSV files into ``out_dir``; return rows written per file.

    The same arguments always produce byte-identical files.
    """
    rng = random.Random(SEED)  # noqa: S311 - sample data, not secrets
    out_dir.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}

    customer_rows = []
    for cid in range(1, customers + 1):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        signup = START + timedelta(days=rng.randrange(DAYS), minutes=rng.randrange(1440))
        customer_rows.append(
            {
                "customer_id": cid,
                "first_name": first,
                "last_name": last,
                "email": f"{first}.{last}.{cid}@example.com".lower(),
                "country": rng.choice(COUNTRIES),
                "signed_up_at": _iso(signup),
            }
        )
    counts["customers.csv"] = _write(out_dir / "customers.csv", customer_rows)

    product_rows = []
    pid = 0
    for category, names in CATEGORIES.items():
        for name in names:
            pid += 1
            product_rows.append(
                {
                    "product_id": pid,
                    "sku": f"SKU-{pid:04d}",
                    "name": name,
                    "category": category,
                    "unit_price": f"{rng.uniform(4, 180):.2f}",
                }
            )
    counts["products.csv"] = _write(out_dir / "products.csv", product_rows)

    order_rows = []
    for oid in range(1, orders + 1):
        product = rng.choice(product_rows)
        quantity = rng.choices([1, 2, 3, 4], weights=[60, 25, 10, 5])[0]
        ordered = START + timedelta(days=rng.randrange(DAYS), minutes=rng.randrange(1440))
        order_rows.append(
            {
                "order_id": oid,
                "customer_id": rng.randint(1, customers),
                "product_id": product["product_id"],
                "quantity": quantity,
                "amount": f"{float(product['unit_price']) * quantity:.2f}",
                "status": rng.choices(["paid", "shipped", "refunded"], weights=[30, 65, 5])[0],
                "ordered_at": _iso(ordered),
            }
        )
    counts["orders.csv"] = _write(out_dir / "orders.csv", order_rows)

    event_rows = []
    eid = 0
    for visitor in range(1, visitors + 1):
        anonymous_id = f"v{visitor:05d}"
        t = START + timedelta(days=rng.randrange(DAYS - 5), minutes=rng.randrange(1440))
        for _visit in range(rng.choices([1, 2, 3, 4], weights=[45, 30, 15, 10])[0]):
            source, medium, campaign, referrer = rng.choices(TRAFFIC, weights=TRAFFIC_WEIGHTS)[0]
            for page_index in range(rng.randint(1, 5)):
                eid += 1
                event_rows.append(
                    {
                        "event_id": f"e{eid:07d}",
                        "anonymous_id": anonymous_id,
                        "event_type": "page_view",
                        "page_url": f"https://shop.example.com{rng.choice(PAGES)}",
                        "referrer": referrer if page_index == 0 else "",
                        "utm_source": source,
                        "utm_medium": medium,
                        "utm_campaign": campaign,
                        "value": "",
                        "occurred_at": _iso(t),
                    }
                )
                t += timedelta(seconds=rng.randint(5, 240))
            if rng.random() < 0.18:
                eid += 1
                kind = rng.choices(["signup", "purchase"], weights=[35, 65])[0]
                event_rows.append(
                    {
                        "event_id": f"e{eid:07d}",
                        "anonymous_id": anonymous_id,
                        "event_type": kind,
                        "page_url": "https://shop.example.com/checkout/done",
                        "referrer": "",
                        "utm_source": "",
                        "utm_medium": "",
                        "utm_campaign": "",
                        "value": f"{rng.uniform(8, 240):.2f}" if kind == "purchase" else "",
                        "occurred_at": _iso(t),
                    }
                )
            t += timedelta(hours=rng.randint(6, 120))
    counts["web_events.csv"] = _write(out_dir / "web_events.csv", event_rows)
    return counts


def _write(path: Path, rows: list[dict]) -> int:
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    tmp.replace(path)
    return len(rows)
