from dra.ingestion.naming import raw_schema, slugify, unique_names


def test_slugify_makes_safe_identifiers():
    assert slugify("Order Date (UTC)") == "order_date_utc"
    assert slugify("Größe") == "grosse" or slugify("Größe") == "groe"
    assert slugify("2024 revenue") == "col_2024_revenue"
    assert slugify('x"; drop table users; --') == "x_drop_table_users"
    assert len(slugify("a" * 200)) == 63


def test_unique_names_fill_blanks_and_deduplicate():
    assert unique_names(["id", "ID", "", "name", "name"]) == [
        "id",
        "id_2",
        "col_3",
        "name",
        "name_2",
    ]


def test_schema_names_are_integers_only():
    assert raw_schema(12) == "raw_p12"
