"""Join suggestions without a database: names, types and the confidence formula."""

from __future__ import annotations

import pytest

from dra.modeling.joins import (
    NO_CANDIDATES_MESSAGE,
    JoinSuggestion,
    JoinSuggestions,
    compatible,
    confidence,
    name_link,
    referenced_table,
    singular,
    table_names,
    tokens,
)


@pytest.mark.parametrize(
    "name,expected",
    [
        ("customer_id", ["customer", "id"]),
        ("customerId", ["customer", "id"]),
        ("CustomerID", ["customer", "id"]),
        ("Customer ID", ["customer", "id"]),
        ("cust_id", ["cust", "id"]),
        ("ReportsTo", ["reports", "to"]),
        ("HTMLPage", ["html", "page"]),
        ("l_orderkey", ["l", "orderkey"]),
    ],
)
def test_tokens(name, expected):
    assert tokens(name) == expected


@pytest.mark.parametrize(
    "word,expected",
    [
        ("customers", "customer"),
        ("categories", "category"),
        ("addresses", "address"),
        ("statuses", "status"),
        ("boxes", "box"),
        ("purchases", "purchase"),
        ("people", "person"),
        ("status", "status"),
        ("class", "class"),
        ("order", "order"),
        ("bus", "bus"),
    ],
)
def test_singular(word, expected):
    assert singular(word) == expected


def _t(name, columns, **kwargs):
    return table_names(name, {c: "bigint" for c in columns}, **kwargs)


CUSTOMERS = _t("customers", ["id", "name"])
ORDERS = _t("orders", ["id", "customer_id", "cust_id", "quantity", "paid"])


def _score(child, column, parent, parent_column):
    link = name_link(child, column, parent, parent_column)
    return None if link is None else link.score


def test_table_id_naming_points_to_the_plural_table():
    assert _score(ORDERS, "customer_id", CUSTOMERS, "id") == pytest.approx(0.95)
    link = name_link(ORDERS, "customer_id", CUSTOMERS, "id")
    assert "customers" in link.reason


def test_camel_case_source_names_are_read_through_the_ingested_name():
    # PostgreSQL "CustomerId" lands as customerid; the source name keeps the word boundary
    invoices = table_names(
        "shop_invoice",
        {"invoiceid": "bigint", "customerid": "bigint"},
        source_table="public.Invoice",
        source_names={"invoiceid": "InvoiceId", "customerid": "CustomerId"},
    )
    customer = table_names(
        "shop_customer",
        {"customerid": "bigint"},
        source_table="public.Customer",
        source_names={"customerid": "CustomerId"},
    )
    assert _score(invoices, "customerid", customer, "customerid") == pytest.approx(0.95)
    # a table's own key is not a reference to another table
    assert _score(customer, "customerid", invoices, "customerid") is None


def test_glued_names_without_source_names():
    album = _t("album", ["albumid", "title"])
    track = _t("track", ["trackid", "albumid"])
    assert _score(track, "albumid", album, "albumid") == pytest.approx(0.95)
    # "paid" is not pa + id
    pa = _t("pa", ["id"])
    assert _score(ORDERS, "paid", pa, "id") is None


def test_abbreviations_and_compound_names():
    assert _score(ORDERS, "cust_id", CUSTOMERS, "id") == pytest.approx(0.7)
    staff = _t("staff", ["staff_id", "name"])
    store = _t("store", ["store_id", "manager_staff_id"])
    assert _score(store, "manager_staff_id", staff, "staff_id") == pytest.approx(0.8)


def test_source_prefixed_table_names_are_matched_by_their_last_words():
    crm_customers = _t("crm_customers", ["id", "name"])
    assert _score(ORDERS, "customer_id", crm_customers, "id") == pytest.approx(0.9)


def test_column_prefixes_of_tpch_style_tables():
    customer = _t("customer", ["c_custkey", "c_name", "c_nationkey"])
    orders = _t("orders", ["o_orderkey", "o_custkey", "o_totalprice"])
    lineitem = _t("lineitem", ["l_orderkey", "l_partkey", "l_linenumber"])
    nation = _t("nation", ["n_nationkey", "n_name", "n_regionkey"])
    assert _score(orders, "o_custkey", customer, "c_custkey") == pytest.approx(0.9)
    assert _score(lineitem, "l_orderkey", orders, "o_orderkey") == pytest.approx(0.95)
    assert _score(customer, "c_nationkey", nation, "n_nationkey") == pytest.approx(0.95)
    # not keys, or the table's own key
    assert _score(lineitem, "l_linenumber", orders, "o_orderkey") is None
    assert _score(orders, "o_orderkey", lineitem, "l_orderkey") is None


def test_self_references():
    employees = _t("employees", ["id", "name", "manager_id", "reports_to"])
    assert _score(employees, "manager_id", employees, "id") == pytest.approx(0.85)
    assert _score(employees, "reports_to", employees, "id") == pytest.approx(0.85)
    assert _score(employees, "id", employees, "id") is None
    categories = _t("categories", ["id", "parent_category_id"])
    assert _score(categories, "parent_category_id", categories, "id") is not None


def test_plain_id_and_non_key_columns_are_not_references():
    assert _score(ORDERS, "id", CUSTOMERS, "id") is None
    assert _score(ORDERS, "quantity", CUSTOMERS, "id") is None
    # the parent side must be the parent's key
    assert _score(ORDERS, "customer_id", CUSTOMERS, "name") is None


@pytest.mark.parametrize(
    "child,parent,expected",
    [
        ("bigint", "integer", "yes"),
        ("integer", "bigint", "yes"),
        ("text", "character varying", "yes"),
        ("uuid", "uuid", "yes"),
        ("numeric", "bigint", "integral"),
        ("bigint", "numeric", "integral"),
        ("text", "bigint", None),
        ("uuid", "text", None),
        ("double precision", "bigint", None),
        ("date", "date", None),
        ("boolean", "boolean", None),
    ],
)
def test_type_compatibility(child, parent, expected):
    assert compatible(child, parent) == expected


def test_confidence_formula():
    # declared keys are certain while the ingested data agrees
    assert confidence(declared=True, containment=1.0) == 1.0
    assert confidence(declared=True, containment=None) == 1.0
    assert confidence(declared=True, containment=0.8) == pytest.approx(0.8)
    # inferred: name score x containment^2 x (1 if the parent key is unique, else 0.5)
    assert confidence(name_score=0.95, containment=1.0, parent_unique=True) == pytest.approx(0.95)
    assert confidence(name_score=0.95, containment=1.0, parent_unique=False) == pytest.approx(0.475)
    assert confidence(name_score=0.95, containment=0.3, parent_unique=True) < 0.1
    # not measured (time limit): the name alone, discounted
    assert confidence(name_score=0.95, containment=None, parent_unique=None) == pytest.approx(0.57)
    assert confidence(name_score=0.7, containment=None, parent_unique=None) < 0.5
    assert 0 <= confidence(name_score=0.9, containment=0.0, parent_unique=True) <= 1


def test_result_shape_and_empty_message():
    empty = JoinSuggestions([])
    assert list(empty) == [] and len(empty) == 0
    assert empty.message == NO_CANDIDATES_MESSAGE == "No join candidates detected in schema."
    assert empty.as_dict() == {"suggestions": [], "message": NO_CANDIDATES_MESSAGE}
    one = JoinSuggestion(
        left_table="orders",
        left_column="customer_id",
        right_table="customers",
        right_column="id",
        confidence=0.95,
        reasons=("a", "b"),
        relationship="many_to_one",
    )
    result = JoinSuggestions([one])
    assert result.message is None and result[0] is one
    body = result.as_dict()["suggestions"][0]
    assert body["left_table"] == "orders" and body["confidence"] == 0.95
    assert body["reasons"] == ["a", "b"] and body["relationship"] == "many_to_one"
    assert body["conditions"] == [{"left_column": "customer_id", "right_column": "id"}]


def test_a_column_named_after_a_third_table_is_a_reference_not_a_key():
    film = _t("film", ["film_id", "title"])
    category = _t("film_category", ["film_id", "category_id"])
    profiles = _t("customer_profiles", ["customer_id", "bio"])
    names = {t.table: t for t in (film, category, CUSTOMERS, profiles)}
    assert referenced_table(category, "film_id", names) == "film"
    assert referenced_table(profiles, "customer_id", names) == "customers"
    # a table's own key is not a reference, even when another table has a similar name
    assert referenced_table(film, "film_id", names) is None
    assert referenced_table(CUSTOMERS, "id", names) is None
    # nothing to reference in this project: the column may be the parent
    assert referenced_table(profiles, "customer_id", {"customer_profiles": profiles}) is None
