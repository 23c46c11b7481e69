"""`retail docs`: build the dbt docs site against the built warehouse and serve it locally."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from retail.settings import Settings

NAME = "docs"
HELP = "generate the dbt docs site (lineage, columns, types) and serve it on 127.0.0.1"
DESCRIPTION = """\
Run `dbt docs generate` against the warehouse (so the catalog has every column and type),
into $RETAIL_EXPORT_DIR/dbt-docs, then serve that folder on http://127.0.0.1:PORT until
Ctrl-C. Build the warehouse first (`retail run`).
"""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=8080, help="port to serve on (default 8080)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    parser.add_argument("--no-serve", action="store_true", help="generate only, do not serve")


def docs_dir(export_dir: Path) -> Path:
    return export_dir / "dbt-docs"


def generate(settings) -> Path:  # noqa: ANN001 - Settings, imported lazily
    """`dbt docs generate` into docs_dir(); needs a built warehouse with a gold schema."""
    from retail.dbt import run_dbt
    from retail.errors import RetailError
    from retail.warehouse import connect, schema_tables

    if not settings.duckdb_path.exists():
        raise RetailError(f"{settings.duckdb_path}: no warehouse yet; run `retail run` first")
    with connect(settings.duckdb_path) as con:  # locked: a clear message, exit 3
        gold = schema_tables(con, "gold")
    if not gold:
        raise RetailError(f"{settings.duckdb_path}: no gold tables yet; run `retail run` first")
    target = docs_dir(settings.export_dir)
    run_dbt(["docs", "generate"], settings, target_path=target)
    if not hide_tests_in_default_graph(target / "index.html"):
        print(f"warning: {target / 'index.html'}: unknown dbt-docs version; the graph shows "
              "test nodes by default (untick them in its resources menu)", flush=True)
    return target


#: dbt-docs' default graph selection (its selectorService), as dbt 1.11 ships it. The same list
#: without "test" and "unit_test" makes the full graph show models, sources and the exposure;
#: the graph's resources menu still offers the tests.
DEFAULT_GRAPH_TYPES = (
    'resource_types:["model","seed","snapshot","source","test","unit_test","analysis",'
    '"exposure","metric","semantic_model","saved_query","function"],depth:1}'
)
NO_TEST_GRAPH_TYPES = DEFAULT_GRAPH_TYPES.replace('"test","unit_test",', "")


def hide_tests_in_default_graph(index_html: Path) -> bool:
    """Leave test nodes out of the docs graph's default selection; False if dbt-docs differs.

    Why patch the page: dbt-docs draws singular and unit tests in the full graph whatever
    their docs.show, and its default selection is fixed in the app; dozens of test nodes hide the
    models. Idempotent.
    """
    text = index_html.read_text(encoding="utf-8")
    if NO_TEST_GRAPH_TYPES in text:
        return True
    if text.count(DEFAULT_GRAPH_TYPES) != 1:
        return False
    index_html.write_text(text.replace(DEFAULT_GRAPH_TYPES, NO_TEST_GRAPH_TYPES), encoding="utf-8")
    return True


def make_server(folder: Path, host: str, port: int):  # noqa: ANN201 - ThreadingHTTPServer
    """An HTTP server for the static docs folder (port 0: any free port)."""
    import functools
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    from retail.errors import UsageError

    class QuietHandler(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    handler = functools.partial(QuietHandler, directory=str(folder))
    try:
        return ThreadingHTTPServer((host, port), handler)
    except OSError as exc:
        raise UsageError(f"cannot serve on {host}:{port}: {exc.strerror}; try --port") from None


def serve(folder: Path, host: str, port: int) -> None:
    server = make_server(folder, host, port)
    print(f"dbt docs: http://{host}:{server.server_port}/  (Ctrl-C to stop)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def run(args: argparse.Namespace, settings: Settings) -> int:

    target = generate(settings)
    print(f"dbt docs generated in {target} (index.html, manifest.json, catalog.json)")
    if not args.no_serve:
        serve(target, args.host, args.port)
    return 0
