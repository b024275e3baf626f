from dra.demo.generate import FILES, generate


def test_demo_data_is_deterministic(tmp_path):
    a = generate(tmp_path / "a")
    b = generate(tmp_path / "b")
    assert a == b and set(a) == set(FILES)
    for name in FILES:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    header = (tmp_path / "a" / "web_events.csv").read_text().splitlines()[0]
    assert "utm_source" in header and "utm_campaign" in header
    body = (tmp_path / "a" / "web_events.csv").read_text()
    assert ",cpc," in body and ",email," in body and "purchase" in body
