"""``redline serve``: the OpenAPI schema fuzzed with schemathesis for a bounded number of cases per operation.
Whatever is sent, the app answers with a status its schema documents or a 4xx, never a 500.

Marked slow: it runs in CI, not in a quick ``-m "not slow"`` run.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")]
CASES = 25


@pytest.fixture(scope="module")
def app(demo_dir, tmp_path_factory):
    from fastapi.testclient import TestClient

    from redline.web.app import Settings, create_app

    application = create_app(Settings(project=demo_dir / "redline.toml", data_dir=tmp_path_factory.mktemp("fuzz"),
                                      jobs=1, max_upload_mb=2))
    with TestClient(application):            # runs the app's lifespan (worker pool, sweeper)
        yield application


def loopback(app):
    """The app as reached on http://127.0.0.1:8765 (schemathesis' in-process client names another host)."""
    async def shim(scope, receive, send):
        if scope["type"] == "http":
            headers = [(k, v) for k, v in scope["headers"] if k != b"host"] + [(b"host", b"127.0.0.1:8765")]
            scope = {**scope, "headers": headers}
        return await app(scope, receive, send)

    return shim


def test_no_input_makes_a_server_error(app):
    import schemathesis

    schema = schemathesis.openapi.from_asgi("/openapi.json", loopback(app))
    operations = [op.ok() for op in schema.get_all_operations()]
    assert {f"{o.method.upper()} {o.path}" for o in operations} >= {
        "POST /api/checks", "GET /api/checks/{job_id}", "GET /api/checks/{job_id}/files/{name}", "GET /api/area",
        "POST /api/audit-text", "GET /api/layers", "GET /api/layers/{layer_id}/geojson"}
    failures, calls = [], []
    from hypothesis import given

    def fuzz(op):
        @settings(max_examples=CASES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        @given(op.as_strategy())
        def run(case):
            response = case.call()
            calls.append(response.status_code)
            if response.status_code >= 500:
                failures.append(f"{op.method.upper()} {op.path}: {response.status_code} {response.text[:200]}")

        run()

    for op in operations:
        fuzz(op)
    assert failures == []
    assert len(calls) >= 5 * len(operations)           # the cases did run
    assert {c for c in calls} & {400, 404, 415, 422}   # and reached the app's checks
