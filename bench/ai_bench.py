"""AI data modeler benchmarks, one command: ``.venv/bin/python bench/ai_bench.py``.

Parts (``--part NAME``, repeatable; all by default). Each part is a function
``bench_<name>(platform) -> bool`` (True when its targets are met) listed in ``PARTS``;
``platform`` is a :class:`Platform`: a migrated platform database on a server (embedded
PostgreSQL, or ``DRA_TEST_DATABASE_URL``'s server) on which a part may create more
databases, with the settings and a helper to make projects.

1. ``joins``: join suggestions (UC-AI-10) without the model. Schemas with known foreign
   keys are generated deterministically into PostgreSQL databases of the same server,
   with their constraints (the ground truth is read back from pg_constraint by the
   platform's own connector), then every constraint is dropped; each database is added
   as a PostgreSQL data source and ingested by the platform's ingestion code, and
   ``dra.modeling.joins.suggest_joins`` is asked for the joins within that source.
   - **Chinook** (the public sample music store, classic CamelCase PostgreSQL version:
     11 tables, 11 foreign keys, a self reference ``Employee.ReportsTo``, and
     ``Customer.SupportRepId`` -> ``Employee``, which no name gives away);
   - **Sakila** (the public DVD-rental sample, pagila's PostgreSQL shape: 15 tables, 22
     foreign keys, ``store.manager_staff_id`` -> ``staff``, and
     ``film.original_language_id``, NULL in every row as in the published data);
   - **TPC-H** (the published decision-support schema at scale factor 0.01: 8 tables,
     column prefixes ``l_``/``o_``..., keys such as ``o_custkey`` -> ``c_custkey``, and the
     composite ``(l_partkey, l_suppkey)`` -> ``partsupp``, declared as in the
     specification with ``l_partkey`` -> ``part`` and ``l_suppkey`` -> ``supplier``);
   - **demo shop** (the platform's own demo CSV files, through the file ingestion: no
     constraint anywhere; known keys orders.customer_id and orders.product_id).
   A suggestion counts as right when its child table and columns and its parent table
   and columns are those of a known key (direction included). Precision and recall per
   schema, with and without the values-only pass (recall against cost), with the
   measuring queries and seconds the engine took. Targets: precision >= 0.9 and
   recall >= 0.9 on each schema. ``--tpch-scale 0.1`` (600,000 line items) shows the cost
   at a larger size.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("XDG_RUNTIME_DIR", tempfile.gettempdir())

PRECISION_TARGET = RECALL_TARGET = 0.9


@dataclass
class Platform:
    """What every part gets: the server, the migrated platform database, settings."""

    cluster: object
    """tests.support.pg.TestCluster: ``create_database(name)`` gives another database's URL."""
    database: object
    """dra.db.Database of the platform."""
    settings: object
    data_dir: Path
    options: dict = field(default_factory=dict)
    """Command-line options of the parts (``tpch_scale``...)."""

    def new_project(self, name: str) -> tuple[int, int]:
        """(project id, owner id): a project owned by a new user on the top tier."""
        from tests.support.factories import create_project, create_user, set_tier

        with self.database.system_session() as s:
            owner = create_user(s)
            set_tier(s, owner, "Enterprise")
            return create_project(s, owner, name=name), owner.id


# ---------------------------------------------------------------- part 1: join suggestions

CHINOOK_DDL = """
create table "Artist" ("ArtistId" int not null, "Name" varchar(120),
    constraint "PK_Artist" primary key ("ArtistId"));
create table "Album" ("AlbumId" int not null, "Title" varchar(160) not null,
    "ArtistId" int not null, constraint "PK_Album" primary key ("AlbumId"));
create table "Employee" ("EmployeeId" int not null, "LastName" varchar(20) not null,
    "FirstName" varchar(20) not null, "Title" varchar(30), "ReportsTo" int,
    "BirthDate" timestamp, "HireDate" timestamp, "Address" varchar(70), "City" varchar(40),
    "State" varchar(40), "Country" varchar(40), "PostalCode" varchar(10), "Phone" varchar(24),
    "Fax" varchar(24), "Email" varchar(60), constraint "PK_Employee" primary key ("EmployeeId"));
create table "Customer" ("CustomerId" int not null, "FirstName" varchar(40) not null,
    "LastName" varchar(20) not null, "Company" varchar(80), "Address" varchar(70),
    "City" varchar(40), "State" varchar(40), "Country" varchar(40), "PostalCode" varchar(10),
    "Phone" varchar(24), "Fax" varchar(24), "Email" varchar(60) not null, "SupportRepId" int,
    constraint "PK_Customer" primary key ("CustomerId"));
create table "Genre" ("GenreId" int not null, "Name" varchar(120),
    constraint "PK_Genre" primary key ("GenreId"));
create table "MediaType" ("MediaTypeId" int not null, "Name" varchar(120),
    constraint "PK_MediaType" primary key ("MediaTypeId"));
create table "Track" ("TrackId" int not null, "Name" varchar(200) not null, "AlbumId" int,
    "MediaTypeId" int not null, "GenreId" int, "Composer" varchar(220),
    "Milliseconds" int not null, "Bytes" int, "UnitPrice" numeric(10,2) not null,
    constraint "PK_Track" primary key ("TrackId"));
create table "Invoice" ("InvoiceId" int not null, "CustomerId" int not null,
    "InvoiceDate" timestamp not null, "BillingAddress" varchar(70), "BillingCity" varchar(40),
    "BillingState" varchar(40), "BillingCountry" varchar(40), "BillingPostalCode" varchar(10),
    "Total" numeric(10,2) not null, constraint "PK_Invoice" primary key ("InvoiceId"));
create table "InvoiceLine" ("InvoiceLineId" int not null, "InvoiceId" int not null,
    "TrackId" int not null, "UnitPrice" numeric(10,2) not null, "Quantity" int not null,
    constraint "PK_InvoiceLine" primary key ("InvoiceLineId"));
create table "Playlist" ("PlaylistId" int not null, "Name" varchar(120),
    constraint "PK_Playlist" primary key ("PlaylistId"));
create table "PlaylistTrack" ("PlaylistId" int not null, "TrackId" int not null,
    constraint "PK_PlaylistTrack" primary key ("PlaylistId", "TrackId"));
"""

CHINOOK_KEYS = """
alter table "Album" add constraint "FK_AlbumArtistId"
    foreign key ("ArtistId") references "Artist" ("ArtistId");
alter table "Customer" add constraint "FK_CustomerSupportRepId"
    foreign key ("SupportRepId") references "Employee" ("EmployeeId");
alter table "Employee" add constraint "FK_EmployeeReportsTo"
    foreign key ("ReportsTo") references "Employee" ("EmployeeId");
alter table "Invoice" add constraint "FK_InvoiceCustomerId"
    foreign key ("CustomerId") references "Customer" ("CustomerId");
alter table "InvoiceLine" add constraint "FK_InvoiceLineInvoiceId"
    foreign key ("InvoiceId") references "Invoice" ("InvoiceId");
alter table "InvoiceLine" add constraint "FK_InvoiceLineTrackId"
    foreign key ("TrackId") references "Track" ("TrackId");
alter table "PlaylistTrack" add constraint "FK_PlaylistTrackPlaylistId"
    foreign key ("PlaylistId") references "Playlist" ("PlaylistId");
alter table "PlaylistTrack" add constraint "FK_PlaylistTrackTrackId"
    foreign key ("TrackId") references "Track" ("TrackId");
alter table "Track" add constraint "FK_TrackAlbumId"
    foreign key ("AlbumId") references "Album" ("AlbumId");
alter table "Track" add constraint "FK_TrackGenreId"
    foreign key ("GenreId") references "Genre" ("GenreId");
alter table "Track" add constraint "FK_TrackMediaTypeId"
    foreign key ("MediaTypeId") references "MediaType" ("MediaTypeId");
"""

SAKILA_DDL = """
create type mpaa_rating as enum ('G', 'PG', 'PG-13', 'R', 'NC-17');
create table actor (actor_id serial primary key, first_name text not null,
    last_name text not null, last_update timestamptz not null default now());
create table category (category_id serial primary key, name text not null,
    last_update timestamptz not null default now());
create table language (language_id serial primary key, name character(20) not null,
    last_update timestamptz not null default now());
create table film (film_id serial primary key, title text not null, description text,
    release_year integer, language_id integer not null, original_language_id integer,
    rental_duration smallint not null default 3, rental_rate numeric(4,2) not null,
    length smallint, replacement_cost numeric(5,2) not null, rating mpaa_rating,
    last_update timestamptz not null default now(), special_features text[],
    fulltext tsvector);
create table film_actor (actor_id integer not null, film_id integer not null,
    last_update timestamptz not null default now(), primary key (actor_id, film_id));
create table film_category (film_id integer not null, category_id integer not null,
    last_update timestamptz not null default now(), primary key (film_id, category_id));
create table country (country_id serial primary key, country text not null,
    last_update timestamptz not null default now());
create table city (city_id serial primary key, city text not null, country_id integer not null,
    last_update timestamptz not null default now());
create table address (address_id serial primary key, address text not null, address2 text,
    district text not null, city_id integer not null, postal_code text, phone text not null,
    last_update timestamptz not null default now());
create table staff (staff_id serial primary key, first_name text not null,
    last_name text not null, address_id integer not null, email text,
    store_id integer not null, active boolean not null default true, username text not null,
    password text, last_update timestamptz not null default now(), picture bytea);
create table store (store_id serial primary key, manager_staff_id integer not null,
    address_id integer not null, last_update timestamptz not null default now());
create table customer (customer_id serial primary key, store_id integer not null,
    first_name text not null, last_name text not null, email text,
    address_id integer not null, activebool boolean not null default true,
    create_date date not null default current_date, last_update timestamptz default now(),
    active integer);
create table inventory (inventory_id serial primary key, film_id integer not null,
    store_id integer not null, last_update timestamptz not null default now());
create table rental (rental_id serial primary key, rental_date timestamptz not null,
    inventory_id integer not null, customer_id integer not null, return_date timestamptz,
    staff_id integer not null, last_update timestamptz not null default now());
create table payment (payment_id serial primary key, customer_id integer not null,
    staff_id integer not null, rental_id integer not null, amount numeric(5,2) not null,
    payment_date timestamptz not null);
"""

SAKILA_KEYS = """
alter table film add foreign key (language_id) references language;
alter table film add foreign key (original_language_id) references language;
alter table film_actor add foreign key (actor_id) references actor;
alter table film_actor add foreign key (film_id) references film;
alter table film_category add foreign key (film_id) references film;
alter table film_category add foreign key (category_id) references category;
alter table city add foreign key (country_id) references country;
alter table address add foreign key (city_id) references city;
alter table staff add foreign key (address_id) references address;
alter table staff add foreign key (store_id) references store;
alter table store add foreign key (manager_staff_id) references staff;
alter table store add foreign key (address_id) references address;
alter table customer add foreign key (store_id) references store;
alter table customer add foreign key (address_id) references address;
alter table inventory add foreign key (film_id) references film;
alter table inventory add foreign key (store_id) references store;
alter table rental add foreign key (inventory_id) references inventory;
alter table rental add foreign key (customer_id) references customer;
alter table rental add foreign key (staff_id) references staff;
alter table payment add foreign key (customer_id) references customer;
alter table payment add foreign key (staff_id) references staff;
alter table payment add foreign key (rental_id) references rental;
update film set fulltext = to_tsvector('english', title || ' ' || coalesce(description, ''));
"""

TPCH_DDL = """
create table region (r_regionkey integer not null, r_name char(25) not null,
    r_comment varchar(152), primary key (r_regionkey));
create table nation (n_nationkey integer not null, n_name char(25) not null,
    n_regionkey integer not null, n_comment varchar(152), primary key (n_nationkey));
create table supplier (s_suppkey integer not null, s_name char(25) not null,
    s_address varchar(40) not null, s_nationkey integer not null, s_phone char(15) not null,
    s_acctbal decimal(15,2) not null, s_comment varchar(101) not null, primary key (s_suppkey));
create table customer (c_custkey integer not null, c_name varchar(25) not null,
    c_address varchar(40) not null, c_nationkey integer not null, c_phone char(15) not null,
    c_acctbal decimal(15,2) not null, c_mktsegment char(10) not null,
    c_comment varchar(117) not null, primary key (c_custkey));
create table part (p_partkey integer not null, p_name varchar(55) not null,
    p_mfgr char(25) not null, p_brand char(10) not null, p_type varchar(25) not null,
    p_size integer not null, p_container char(10) not null, p_retailprice decimal(15,2) not null,
    p_comment varchar(23) not null, primary key (p_partkey));
create table partsupp (ps_partkey integer not null, ps_suppkey integer not null,
    ps_availqty integer not null, ps_supplycost decimal(15,2) not null,
    ps_comment varchar(199) not null, primary key (ps_partkey, ps_suppkey));
create table orders (o_orderkey integer not null, o_custkey integer not null,
    o_orderstatus char(1) not null, o_totalprice decimal(15,2) not null,
    o_orderdate date not null, o_orderpriority char(15) not null, o_clerk char(15) not null,
    o_shippriority integer not null, o_comment varchar(79) not null, primary key (o_orderkey));
create table lineitem (l_orderkey integer not null, l_partkey integer not null,
    l_suppkey integer not null, l_linenumber integer not null, l_quantity decimal(15,2) not null,
    l_extendedprice decimal(15,2) not null, l_discount decimal(15,2) not null,
    l_tax decimal(15,2) not null, l_returnflag char(1) not null, l_linestatus char(1) not null,
    l_shipdate date not null, l_commitdate date not null, l_receiptdate date not null,
    l_shipinstruct char(25) not null, l_shipmode char(10) not null,
    l_comment varchar(44) not null, primary key (l_orderkey, l_linenumber));
"""

TPCH_KEYS = """
alter table nation add foreign key (n_regionkey) references region;
alter table supplier add foreign key (s_nationkey) references nation;
alter table customer add foreign key (c_nationkey) references nation;
alter table partsupp add foreign key (ps_partkey) references part;
alter table partsupp add foreign key (ps_suppkey) references supplier;
alter table orders add foreign key (o_custkey) references customer;
alter table lineitem add foreign key (l_orderkey) references orders;
alter table lineitem add foreign key (l_partkey) references part;
alter table lineitem add foreign key (l_suppkey) references supplier;
alter table lineitem add foreign key (l_partkey, l_suppkey) references partsupp;
"""

WORDS = [
    *("furiously", "quickly", "carefully", "blithely", "slyly", "final", "regular"),
    *("special", "express", "pending", "ironic", "bold", "even", "silent", "unusual"),
    *("daring", "ruthless", "idle", "busy", "close", "deposits", "requests", "accounts"),
    *("packages", "theodolites", "instructions", "pinto", "beans", "foxes", "asymptotes"),
]
FIRST = [
    "Luís",
    "Leonie",
    "François",
    "Bjørn",
    "Helena",
    "Daan",
    "Kara",
    "Eduardo",
    "Alexandre",
    "Roberto",
    "Fernanda",
    "Mark",
    "Jennifer",
    "Frank",
    "Jack",
    "Michelle",
    "Tim",
    "Dan",
    "Kathy",
    "Heather",
    "John",
    "Robert",
    "Edward",
    "Martha",
    "Aaron",
    "Ellie",
    "Emma",
]
LAST = [
    "Gonçalves",
    "Köhler",
    "Tremblay",
    "Hansen",
    "Holý",
    "Peeters",
    "Nielsen",
    "Martins",
    "Rocha",
    "Almeida",
    "Ramos",
    "Philips",
    "Peterson",
    "Harris",
    "Smith",
    "Brooks",
    "Goyer",
    "Miller",
    "Chase",
    "Gordon",
    "Ralston",
    "Stevens",
    "Mitchell",
    "Silk",
]
COUNTRIES = [
    "Brazil",
    "Germany",
    "Canada",
    "Norway",
    "Czech Republic",
    "Austria",
    "Belgium",
    "Denmark",
    "USA",
    "Portugal",
    "France",
    "Finland",
    "Hungary",
    "Ireland",
    "Italy",
    "Netherlands",
    "Poland",
    "Spain",
    "Sweden",
    "United Kingdom",
    "Australia",
    "Argentina",
    "Chile",
    "India",
]


def _text(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def _phone(rng: random.Random) -> str:
    return f"{rng.randint(10, 34)}-{rng.randint(100, 999)}-{rng.randint(100, 999)}-" + str(
        rng.randint(1000, 9999)
    )


def _address(rng: random.Random) -> tuple[str, str, str, str, str]:
    country = rng.choice(COUNTRIES)
    return (
        f"{rng.randint(1, 9999)} {rng.choice(LAST)} Street",
        f"City {rng.randint(1, 80)}",
        rng.choice(["", "SP", "RJ", "CA", "WA", "NY", "ON", "QC"]) or None,
        country,
        f"{rng.randint(10000, 99999)}",
    )


def chinook_rows(seed: int = 1) -> dict[str, list[tuple]]:
    """Rows shaped like the published Chinook sample (same table sizes)."""
    rng = random.Random(seed)
    rows: dict[str, list[tuple]] = {}
    rows["Artist"] = [
        (i, f"{rng.choice(FIRST)} {rng.choice(LAST)} Band {i}") for i in range(1, 276)
    ]
    rows["Album"] = [
        (i, f"{_text(rng, 3).title()} {i}", rng.randint(1, 275) if i > 275 else i)
        for i in range(1, 348)
    ]
    rows["Genre"] = [(i, f"Genre {i}") for i in range(1, 26)]
    rows["MediaType"] = [
        (1, "MPEG audio file"),
        (2, "Protected AAC audio file"),
        (3, "Protected MPEG-4 video file"),
        (4, "Purchased AAC audio file"),
        (5, "AAC audio file"),
    ]
    tracks = []
    for i in range(1, 3504):
        album = i if i <= 347 else rng.randint(1, 347)
        genre = min(25, int(rng.expovariate(0.3)) + 1)
        media = rng.choices([1, 2, 3, 4, 5], weights=[3034, 237, 214, 7, 11])[0]
        ms = rng.randint(1071, 5286953)
        tracks.append(
            (
                i,
                f"{_text(rng, 2).title()}",
                album,
                media,
                genre,
                rng.choice([None, f"{rng.choice(FIRST)} {rng.choice(LAST)}"]),
                ms,
                ms * rng.randint(28, 36),
                0.99 if media != 3 else 1.99,
            )
        )
    rows["Track"] = tracks
    managers = {1: None, 2: 1, 3: 2, 4: 2, 5: 2, 6: 1, 7: 6, 8: 6}
    titles = {1: "General Manager", 2: "Sales Manager", 6: "IT Manager"}
    rows["Employee"] = []
    for i in range(1, 9):
        addr = _address(rng)
        rows["Employee"].append(
            (
                i,
                rng.choice(LAST),
                rng.choice(FIRST),
                titles.get(i, "Sales Support Agent" if i < 6 else "IT Staff"),
                managers[i],
                datetime(1947 + i * 3, 1 + i, 10),
                datetime(2002, 4 + i % 6, 1 + i),
                addr[0],
                addr[1],
                addr[2],
                addr[3],
                addr[4],
                f"+1 (403) 262-{3440 + i}",
                f"+1 (403) 262-{3300 + i}",
                f"employee{i}@chinookcorp.com",
            )
        )
    rows["Customer"] = []
    addresses = {}
    for i in range(1, 60):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        addr = _address(rng)
        addresses[i] = addr
        rows["Customer"].append(
            (
                i,
                first,
                last,
                rng.choice([None, None, f"{rng.choice(LAST)} Ltd."]),
                *addr[:3],
                addr[3],
                addr[4],
                f"+55 (12) 3923-{5555 + i}",
                None,
                f"{first.lower()}.{last.lower()}{i}@example.com",
                rng.choice([3, 4, 5]),
            )
        )
    invoices, lines = [], []
    line_id = 0
    for i in range(1, 413):
        customer = (i - 1) % 59 + 1
        addr = addresses[customer]
        picked = rng.sample(range(1, 3504), rng.choice([1, 2, 4, 6, 9, 14]))
        total = 0.0
        for track in picked:
            line_id += 1
            price = tracks[track - 1][8]
            total += price
            lines.append((line_id, i, track, price, 1))
        invoices.append(
            (i, customer, datetime(2021, 1, 1) + timedelta(days=i * 4), *addr, round(total, 2))
        )
    rows["Invoice"], rows["InvoiceLine"] = invoices, lines
    rows["Playlist"] = [(i, f"Playlist {i}") for i in range(1, 19)]
    pairs = []
    for playlist in range(1, 19):
        size = rng.choice([0, 1, 15, 25, 39, 48, 75, 213, 500, 1477, 3290])
        pairs += [(playlist, t) for t in sorted(rng.sample(range(1, 3504), size))]
    rows["PlaylistTrack"] = pairs
    return rows


def sakila_rows(seed: int = 3) -> dict[str, list[tuple]]:
    """Rows shaped like the published Sakila / pagila sample (same table sizes; as there,
    ``film.original_language_id`` is always NULL)."""
    rng = random.Random(seed)
    at = datetime(2022, 2, 15, 10, 2, 19)
    rows: dict[str, list[tuple]] = {}
    rows["actor"] = [
        (i, rng.choice(FIRST).upper(), rng.choice(LAST).upper(), at) for i in range(1, 201)
    ]
    categories = [
        "Action",
        "Animation",
        "Children",
        "Classics",
        "Comedy",
        "Documentary",
        "Drama",
        "Family",
        "Foreign",
        "Games",
        "Horror",
        "Music",
        "New",
        "Sci-Fi",
        "Sports",
        "Travel",
    ]
    rows["category"] = [(i, c, at) for i, c in enumerate(categories, 1)]
    languages = ["English", "Italian", "Japanese", "Mandarin", "French", "German"]
    rows["language"] = [(i, n, at) for i, n in enumerate(languages, 1)]
    ratings = ["G", "PG", "PG-13", "R", "NC-17"]
    features = ["Trailers", "Commentaries", "Deleted Scenes", "Behind the Scenes"]
    rows["film"] = [
        (
            i,
            f"{rng.choice(WORDS).upper()} {rng.choice(WORDS).upper()}",
            f"A {_text(rng, 6)} of a {rng.choice(WORDS)}",
            2006,
            1,
            None,
            rng.randint(3, 7),
            rng.choice([0.99, 2.99, 4.99]),
            rng.randint(46, 185),
            rng.choice([9.99, 12.99, 14.99, 19.99, 24.99, 29.99]),
            rng.choice(ratings),
            at,
            "{" + ",".join(f'"{f}"' for f in rng.sample(features, rng.randint(1, 3))) + "}",
            None,
        )
        for i in range(1, 1001)
    ]
    film_actor = set()
    while len(film_actor) < 5462:
        film_actor.add((rng.randint(1, 200), rng.randint(1, 1000)))
    rows["film_actor"] = [(a, f, at) for a, f in sorted(film_actor)]
    rows["film_category"] = [(f, rng.randint(1, 16), at) for f in range(1, 1001)]
    rows["country"] = [(i, f"{COUNTRIES[i % len(COUNTRIES)]} {i}", at) for i in range(1, 110)]
    rows["city"] = [
        (i, f"City {i}", rng.randint(1, 109) if i > 109 else i, at) for i in range(1, 601)
    ]
    rows["address"] = [
        (
            i,
            f"{rng.randint(1, 1999)} {rng.choice(LAST)} Street",
            "" if i > 4 else None,
            f"District {rng.randint(1, 300)}",
            rng.randint(1, 600) if i > 600 else i,
            f"{rng.randint(1000, 99999)}" if i > 4 else "",
            f"{rng.randint(10**9, 10**10 - 1)}",
            at,
        )
        for i in range(1, 604)
    ]
    rows["staff"] = [
        (
            1,
            "Mike",
            "Hillyer",
            3,
            "Mike.Hillyer@sakilastaff.com",
            1,
            True,
            "Mike",
            "8cb2237d0679ca88db6464eac60da96345513964",
            at,
            None,
        ),
        (
            2,
            "Jon",
            "Stephens",
            4,
            "Jon.Stephens@sakilastaff.com",
            2,
            True,
            "Jon",
            "8cb2237d0679ca88db6464eac60da96345513964",
            at,
            None,
        ),
    ]
    rows["store"] = [(1, 1, 1, at), (2, 2, 2, at)]
    rows["customer"] = [
        (
            i,
            rng.choice([1, 2]),
            rng.choice(FIRST).upper(),
            rng.choice(LAST).upper(),
            f"customer{i}@sakilacustomer.org",
            i + 4,
            True,
            date(2022, 2, 14),
            at,
            1 if rng.random() > 0.025 else 0,
        )
        for i in range(1, 600)
    ]
    rows["inventory"] = [(i, rng.randint(1, 1000), rng.choice([1, 2]), at) for i in range(1, 4582)]
    rentals, payments = [], []
    start = datetime(2022, 5, 24, 22, 53, 30)
    for i in range(1, 16045):
        when = start + timedelta(minutes=i * 9)
        customer, staff = rng.randint(1, 599), rng.choice([1, 2])
        back = when + timedelta(days=rng.randint(1, 9)) if rng.random() > 0.01 else None
        rentals.append((i, when, rng.randint(1, 4581), customer, back, staff, at))
        payments.append((i, customer, staff, i, rng.choice([0.99, 2.99, 4.99, 5.99]), when))
    payments += [
        (16044 + j, rng.randint(1, 599), 1, rng.randint(1, 16044), 0.99, start) for j in range(1, 6)
    ]
    rows["rental"], rows["payment"] = rentals, payments
    return rows


def tpch_rows(scale: float = 0.01, seed: int = 7) -> dict[str, list[tuple]]:
    """Rows following the TPC-H generator's rules (key ranges, sparse order keys, the
    four suppliers of each part, customers without orders), at a small scale factor."""
    rng = random.Random(seed)
    S, P, C = int(10000 * scale), int(200000 * scale), int(150000 * scale)
    n_orders = int(1500000 * scale)
    regions = ["AFRICA", "AMERICA", "ASIA", "EUROPE", "MIDDLE EAST"]
    nations = [
        ("ALGERIA", 0),
        ("ARGENTINA", 1),
        ("BRAZIL", 1),
        ("CANADA", 1),
        ("EGYPT", 4),
        ("ETHIOPIA", 0),
        ("FRANCE", 3),
        ("GERMANY", 3),
        ("INDIA", 2),
        ("INDONESIA", 2),
        ("IRAN", 4),
        ("IRAQ", 4),
        ("JAPAN", 2),
        ("JORDAN", 4),
        ("KENYA", 0),
        ("MOROCCO", 0),
        ("MOZAMBIQUE", 0),
        ("PERU", 1),
        ("CHINA", 2),
        ("ROMANIA", 3),
        ("SAUDI ARABIA", 4),
        ("VIETNAM", 2),
        ("RUSSIA", 3),
        ("UNITED KINGDOM", 3),
        ("UNITED STATES", 1),
    ]
    rows: dict[str, list[tuple]] = {}
    rows["region"] = [(i, name, _text(rng, 8)) for i, name in enumerate(regions)]
    rows["nation"] = [(i, n, r, _text(rng, 8)) for i, (n, r) in enumerate(nations)]
    rows["supplier"] = [
        (
            i,
            f"Supplier#{i:09d}",
            _text(rng, 3)[:40],
            rng.randint(0, 24),
            _phone(rng),
            round(rng.uniform(-999.99, 9999.99), 2),
            _text(rng, 6),
        )
        for i in range(1, S + 1)
    ]
    rows["customer"] = [
        (
            i,
            f"Customer#{i:09d}",
            _text(rng, 3)[:40],
            rng.randint(0, 24),
            _phone(rng),
            round(rng.uniform(-999.99, 9999.99), 2),
            rng.choice(["AUTOMOBILE", "BUILDING", "FURNITURE", "MACHINERY", "HOUSEHOLD"]),
            _text(rng, 6),
        )
        for i in range(1, C + 1)
    ]
    parts, prices = [], {}
    for i in range(1, P + 1):
        price = round((90000 + ((i // 10) % 20001) + 100 * (i % 1000)) / 100, 2)
        prices[i] = price
        m = rng.randint(1, 5)
        parts.append(
            (
                i,
                _text(rng, 5)[:55],
                f"Manufacturer#{m}",
                f"Brand#{m}{rng.randint(1, 5)}",
                rng.choice(["STANDARD", "SMALL", "MEDIUM", "LARGE", "ECONOMY", "PROMO"])
                + " "
                + rng.choice(["ANODIZED", "BURNISHED", "PLATED", "POLISHED", "BRUSHED"])
                + " "
                + rng.choice(["TIN", "NICKEL", "BRASS", "STEEL", "COPPER"]),
                rng.randint(1, 50),
                rng.choice(["SM", "LG", "MED", "JUMBO", "WRAP"])
                + " "
                + rng.choice(["CASE", "BOX", "BAG", "JAR", "PKG", "PACK", "CAN", "DRUM"]),
                price,
                _text(rng, 2)[:23],
            )
        )
    rows["part"] = parts

    def suppliers_of(part: int) -> list[int]:  # the specification's formula
        return [(part + (j * ((S // 4) + (part - 1) // S))) % S + 1 for j in range(4)]

    rows["partsupp"] = [
        (p, s, rng.randint(1, 9999), round(rng.uniform(1, 1000), 2), _text(rng, 10))
        for p in range(1, P + 1)
        for s in suppliers_of(p)
    ]
    orders, lines = [], []
    start = date(1992, 1, 1)
    for n in range(1, n_orders + 1):
        key = (n - 1) // 8 * 32 + (n - 1) % 8 + 1  # only 8 of every 32 keys are used
        cust = rng.randint(1, C)
        while cust % 3 == 0:  # a third of the customers never order
            cust = rng.randint(1, C)
        day = start + timedelta(days=rng.randint(0, 2405))
        total = 0.0
        for line in range(1, rng.randint(1, 7) + 1):
            part = rng.randint(1, P)
            supp = rng.choice(suppliers_of(part))
            qty = rng.randint(1, 50)
            extended = round(qty * prices[part], 2)
            total += extended
            ship = day + timedelta(days=rng.randint(1, 121))
            lines.append(
                (
                    key,
                    part,
                    supp,
                    line,
                    qty,
                    extended,
                    rng.randint(0, 10) / 100,
                    rng.randint(0, 8) / 100,
                    rng.choice("RAN"),
                    rng.choice("OF"),
                    ship,
                    day + timedelta(days=rng.randint(30, 90)),
                    ship + timedelta(days=rng.randint(1, 30)),
                    rng.choice(["DELIVER IN PERSON", "COLLECT COD", "NONE", "TAKE BACK RETURN"]),
                    rng.choice(["REG AIR", "AIR", "RAIL", "SHIP", "TRUCK", "MAIL", "FOB"]),
                    _text(rng, 4)[:44],
                )
            )
        orders.append(
            (
                key,
                cust,
                rng.choice("OFP"),
                round(total, 2),
                day,
                rng.choice(["1-URGENT", "2-HIGH", "3-MEDIUM", "4-NOT SPECIFIED", "5-LOW"]),
                f"Clerk#{rng.randint(1, max(1, int(1000 * scale))):09d}",
                0,
                _text(rng, 6)[:79],
            )
        )
    rows["orders"], rows["lineitem"] = orders, lines
    return rows


def _libpq(url: str) -> str:
    from dra.db import libpq_url

    return libpq_url(url)


def _details(url: str) -> dict:
    from sqlalchemy.engine import make_url

    u = make_url(url)
    return {
        "host": u.host or u.query["host"],
        "port": u.port or 5432,
        "database_name": u.database,
        "username": u.username or "postgres",
        "password": u.password or "",
    }


def build_source_database(url: str, ddl: str, keys: str, rows: dict[str, list[tuple]]):
    """Create the tables, load the rows, declare the keys (checked by PostgreSQL), read
    them back as the ground truth, then drop every constraint. Returns the declared keys."""
    import psycopg
    from psycopg import sql

    from dra.ingestion.connectors import connector_for

    with psycopg.connect(_libpq(url), autocommit=True) as conn:
        conn.execute(ddl)
        for table, data in rows.items():
            with conn.cursor().copy(
                sql.SQL("copy {} from stdin").format(sql.Identifier(table))
            ) as copy:
                for row in data:
                    copy.write_row(row)
        conn.execute(keys)  # fails if a generated row broke a key
        truth = connector_for("postgresql", _details(url)).foreign_keys()
        constraints = conn.execute(
            "select c.relname, con.conname from pg_constraint con join pg_class c "
            "on c.oid = con.conrelid join pg_namespace n on n.oid = c.relnamespace "
            "where n.nspname = 'public' and con.contype in ('f', 'p', 'u') "
            "order by con.contype = 'f' desc"
        ).fetchall()
        for table, name in constraints:
            conn.execute(
                sql.SQL("alter table {} drop constraint {}").format(
                    sql.Identifier(table), sql.Identifier(name)
                )
            )
        conn.execute("analyze")
    left = connector_for("postgresql", _details(url)).foreign_keys()
    assert not left, f"constraints still declared: {left}"
    return truth


def _ingest_database(platform: Platform, name: str, url: str) -> tuple[int, int]:
    from dra.ingestion.connectors import connector_for
    from dra.ingestion.service import ingest_source
    from dra.sources.service import create_database_source

    project_id, owner_id = platform.new_project(name)
    tables = [t.name for t in connector_for("postgresql", _details(url)).introspect()]
    with platform.database.system_session() as s:
        source_id = create_database_source(
            s,
            project_id=project_id,
            user_id=owner_id,
            name=name,
            source_type="postgresql",
            details=_details(url),
            settings=platform.settings,
            selected_tables=tables,
            incremental={},
        ).id
    outcome = ingest_source(platform.database, platform.settings, source_id)
    assert outcome.ok, outcome.error
    return project_id, source_id


def _ingest_demo_csvs(platform: Platform, folder: Path) -> tuple[int, None]:
    from dra.demo.generate import generate
    from dra.ingestion.service import ingest_source
    from dra.sources.service import create_file_source
    from dra.sources.uploads import store_upload

    generate(folder)
    project_id, owner_id = platform.new_project("Demo shop")
    ids = []
    with platform.database.system_session() as s:
        for path in sorted(folder.glob("*.csv")):
            stored = store_upload(
                io.BytesIO(path.read_bytes()),
                path.name,
                data_dir=platform.data_dir,
                project_id=project_id,
            )
            ids.append(
                create_file_source(
                    s, project_id=project_id, user_id=owner_id, name=None, upload=stored
                ).id
            )
    for source_id in ids:
        assert ingest_source(platform.database, platform.settings, source_id).ok
    return project_id, None


def _truth_in_raw_names(platform: Platform, source_id: int, keys) -> set[tuple]:
    """The declared keys, in the ingested tables' and columns' names."""
    from sqlalchemy import select

    from dra.models import DataSourceTable

    with platform.database.system_session() as s:
        rows = s.execute(
            select(
                DataSourceTable.source_table, DataSourceTable.raw_table, DataSourceTable.columns
            ).where(DataSourceTable.data_source_id == source_id)
        ).all()
    tables = {r.source_table: r.raw_table for r in rows}
    columns = {r.source_table: {c["source_name"]: c["name"] for c in r.columns} for r in rows}
    return {
        (
            tables[k.table],
            tuple(columns[k.table][c] for c in k.columns),
            tables[k.ref_table],
            tuple(columns[k.ref_table][c] for c in k.ref_columns),
        )
        for k in keys
    }


def _score(found, truth: set[tuple]) -> tuple[float, float, list, list]:
    got = {
        (
            s.left_table,
            tuple(a for a, _ in s.conditions),
            s.right_table,
            tuple(b for _, b in s.conditions),
        )
        for s in found
    }
    right = got & truth
    precision = len(right) / len(got) if got else 1.0
    recall = len(right) / len(truth) if truth else 1.0
    return precision, recall, sorted(got - truth), sorted(truth - got)


def _fmt(key: tuple) -> str:
    return f"{key[0]}.{'+'.join(key[1])} -> {key[2]}.{'+'.join(key[3])}"


def bench_joins(platform: Platform) -> bool:
    """Part 1: precision and recall of join suggestions on schemas with known keys."""
    from dra.modeling.joins import suggest_joins

    print("\n== Part 1: join suggestions (UC-AI-10), no model ==")
    schemas = []
    started = time.perf_counter()
    url = platform.cluster.create_database("bench_chinook")
    keys = build_source_database(url, CHINOOK_DDL, CHINOOK_KEYS, chinook_rows())
    project_id, source_id = _ingest_database(platform, "Chinook", url)
    schemas.append(
        ("Chinook", project_id, source_id, _truth_in_raw_names(platform, source_id, keys))
    )
    url = platform.cluster.create_database("bench_sakila")
    keys = build_source_database(url, SAKILA_DDL, SAKILA_KEYS, sakila_rows())
    project_id, source_id = _ingest_database(platform, "Sakila", url)
    schemas.append(
        ("Sakila", project_id, source_id, _truth_in_raw_names(platform, source_id, keys))
    )
    url = platform.cluster.create_database("bench_tpch")
    keys = build_source_database(
        url, TPCH_DDL, TPCH_KEYS, tpch_rows(platform.options.get("tpch_scale", 0.01))
    )
    project_id, source_id = _ingest_database(platform, "TPC-H", url)
    schemas.append(("TPC-H", project_id, source_id, _truth_in_raw_names(platform, source_id, keys)))
    project_id, _ = _ingest_demo_csvs(platform, platform.data_dir / "demo_csv")
    schemas.append(
        (
            "Demo shop (CSV)",
            project_id,
            None,
            {
                ("orders", ("customer_id",), "customers", ("customer_id",)),
                ("orders", ("product_id",), "products", ("product_id",)),
            },
        )
    )
    print(
        f"generated, de-constrained and ingested 4 schemas in {time.perf_counter() - started:.1f}s"
    )
    ok = True
    print(
        f"{'schema':18s} {'mode':12s} {'keys':>4s} {'found':>5s} {'precision':>9s} "
        f"{'recall':>6s} {'queries':>7s} {'seconds':>7s}"
    )
    details = []
    for name, project_id, source_id, truth in schemas:
        for mode, values_only in (("names+values", True), ("names only", False)):
            result = suggest_joins(
                platform.database,
                project_id,
                data_source_id=source_id,
                values_only=values_only,
            )
            precision, recall, wrong, missed = _score(result, truth)
            print(
                f"{name:18s} {mode:12s} {len(truth):4d} {len(result):5d} {precision:9.2f} "
                f"{recall:6.2f} {result.stats.get('queries', 0):7d} "
                f"{result.stats.get('seconds', 0):7.2f}"
            )
            if values_only:
                ok = ok and precision >= PRECISION_TARGET and recall >= RECALL_TARGET
                details.append((name, wrong, missed, result))
    for name, wrong, missed, _result in details:
        for key in wrong:
            print(f"  {name}: suggested, not a known key: {_fmt(key)}")
        for key in missed:
            print(f"  {name}: known key not suggested:   {_fmt(key)}")
    print(
        f"targets: precision >= {PRECISION_TARGET} and recall >= {RECALL_TARGET} on each "
        f"schema (names+values): {'met' if ok else 'NOT met'}"
    )
    return ok


PARTS: dict[str, Callable[[Platform], bool]] = {"joins": bench_joins}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--part", action="append", choices=sorted(PARTS), help="run only this part (repeatable)"
    )
    parser.add_argument(
        "--tpch-scale",
        type=float,
        default=0.01,
        help="TPC-H scale factor of the joins part (0.01: 60,000 line items)",
    )
    args = parser.parse_args(argv)
    from dra.db import Database
    from dra.migrate import upgrade
    from dra.settings import load_settings
    from tests.support.pg import start_cluster

    parts = args.part or list(PARTS)
    results = {}
    with tempfile.TemporaryDirectory(prefix="dra-ai-bench-") as tmp_name:
        tmp = Path(tmp_name)
        cluster = start_cluster(tmp / "pg", os.environ.get("DRA_TEST_DATABASE_URL"))
        created = []
        try:
            url = cluster.create_database(f"dra_ai_bench_{os.getpid()}")
            created.append(url)
            upgrade(url)
            database = Database(url)
            settings = load_settings(
                {
                    "DRA_ENV": "test",
                    "DRA_DATA_DIR": str(tmp / "data"),
                    "DRA_DATABASE_URL": url,
                    "DRA_PUBLIC_BASE_URL": "http://localhost",
                }
            )
            platform = Platform(
                cluster, database, settings, tmp / "data", {"tpch_scale": args.tpch_scale}
            )
            original_create = cluster.create_database

            def create_database(name: str | None = None, template: str | None = None) -> str:
                made = original_create(f"{name}_{os.getpid()}" if name else None, template)
                created.append(made)
                return made

            cluster.create_database = create_database  # dropped at the end, own server or not
            for part in parts:
                results[part] = PARTS[part](platform)
            database.dispose()
        finally:
            for made in reversed(created):
                cluster.drop_database(made.rsplit("/", 1)[1].split("?")[0])
            cluster.stop()
    print(
        "\n"
        + ", ".join(
            f"{p}: {'targets met' if ok else 'targets NOT met'}" for p, ok in results.items()
        )
    )
    return 0 if all(results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
