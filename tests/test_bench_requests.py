"""The benchmark's requests: S5f sends S5's very clients as the PHP SDK encodes them, and every sender puts
each request's own Content-Type on the wire while JSON requests stay byte for byte what they were."""

import json

from benchmarks import load
from benchmarks.scenarios import BY_KEY, FORM, JSON, Context, Request, scenario_rng
from rest.forms import parse_urlencoded

SPEC = {"host": "127.0.0.1", "port": 8000, "headers": {"X-API-TOKEN": "t"}}


def built(key: str) -> list[Request]:
    return BY_KEY[key].build(Context({"companies": {}}), scenario_rng(key))


def test_s5f_sends_s5_clients_form_encoded_as_http_build_query_does() -> None:
    json_requests, form_requests = built("S5"), built("S5f")
    assert len(form_requests) == len(json_requests) > 0
    first = form_requests[0].body or ""
    assert "contacts%5B0%5D%5Bemail%5D=" in first and "[" not in first and " " not in first
    for as_json, as_form in zip(json_requests, form_requests, strict=True):
        assert (as_json.content_type, as_form.content_type) == (JSON, FORM)
        assert parse_urlencoded((as_form.body or "").encode()) == json.loads(as_json.body or "")


def test_the_peer_is_noted_not_run_on_s5f() -> None:
    scenario = BY_KEY["S5f"]
    assert "peer" not in scenario.targets and scenario.notes["peer"].startswith("n/a")


def test_raw_requests_carry_their_content_type_and_json_is_unchanged() -> None:
    body = '{"name": "A"}'
    as_json = load.raw_request(SPEC, Request("POST", "/api/v1/clients", body).as_dict())
    assert as_json == (
        b"POST /api/v1/clients HTTP/1.1\r\nHost: 127.0.0.1:8000\r\nX-API-TOKEN: t\r\n"
        b'Content-Type: application/json\r\nContent-Length: 13\r\n\r\n{"name": "A"}'
    )
    as_form = load.raw_request(SPEC, Request("POST", "/api/v1/clients", "name=A", FORM).as_dict())
    assert b"\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 6\r\n\r\nname=A" in as_form
    without_body = load.raw_request(SPEC, Request("GET", "/api/v1/clients").as_dict())
    assert b"Content-Type" not in without_body and b"Content-Length" not in without_body


def test_wrk_script_sets_each_requests_content_type() -> None:
    requests = [Request("POST", "/a", "{}").as_dict(), Request("POST", "/b", "x=1", FORM).as_dict()]
    script = load.wrk_script({**SPEC, "requests": requests})
    assert '{"POST", "/a", "{}", "application/json"}' in script
    assert '{"POST", "/b", "x=1", "application/x-www-form-urlencoded"}' in script
    assert 'h["Content-Type"] = r[4]' in script


def test_a_results_file_records_no_path_of_the_machine() -> None:
    """Commands are stored relative to the checkout or the virtualenv; any other absolute path by its name."""
    import sys
    from pathlib import Path

    from benchmarks.run import portable
    from benchmarks.targets import ROOT

    served = portable([str(Path(sys.prefix) / "bin" / "python"), "-m", "uvicorn", "--port", "1"])
    assert not served.startswith("/") and served.endswith("bin/python -m uvicorn --port 1"), served
    assert portable([str(ROOT / "benchmarks" / "x.lua"), "/opt/tools/wrk"]) == "benchmarks/x.lua wrk"
