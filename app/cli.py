"""The ``c360`` command. Commands call services and turn our errors into exit codes."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import typer

from app.errors import C360Error
from app.logs import configure
from app.settings import get_settings
from app.store import Store, cypher, open_store

log = logging.getLogger("c360")
cli = typer.Typer(no_args_is_help=True, add_completion=False, help="c360: customer 360 for telecom operators.")
store_cli = typer.Typer(no_args_is_help=True, help="The graph store.")
cli.add_typer(store_cli, name="store")

T = TypeVar("T")
EXIT_ERROR = 1


def run_async(fn: Callable[..., Coroutine[Any, Any, T]]) -> Callable[..., T]:
    """Run an async command body, printing our errors as one line and exiting non-zero."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        try:
            return asyncio.run(fn(*args, **kwargs))
        except C360Error as exc:
            typer.secho(f"error: {exc}", err=True, fg=typer.colors.RED)
            raise typer.Exit(EXIT_ERROR) from None

    return wrapper


async def opened_store() -> Store:
    store = open_store()
    await store.start()
    return store


@cli.callback()
def main_options(log_level: str = typer.Option(None, help="Log level (default from C360_LOG_LEVEL).")) -> None:
    configure(log_level or get_settings().log_level)


@store_cli.command("health")
@run_async
async def store_health() -> None:
    """Start or attach to the store and report whether it answers."""
    store = await opened_store()
    try:
        health = await store.health()
        typer.echo(f"backend={health.backend} ok={health.ok} at={health.location} detail={health.detail}")
        if not health.ok:
            raise typer.Exit(EXIT_ERROR)
    finally:
        await store.close()


@store_cli.command("schema")
@run_async
async def store_schema() -> None:
    """Create the indexes and constraints of the selected backend (safe to repeat)."""
    store = await opened_store()
    try:
        await store.setup_schema()
        typer.echo(f"schema ready on {store.backend}")
    finally:
        await store.close()


CLEAR_GRAPH = cypher("admin/clear_graph")
COUNT_NODES = cypher("admin/count_nodes")


@store_cli.command("stats")
@run_async
async def store_stats() -> None:
    """Node counts per label."""
    store = await opened_store()
    try:
        for row in await store.read(COUNT_NODES):
            typer.echo(f"{row['label']:<16} {row['nodes']:>10}")
    finally:
        await store.close()


@store_cli.command("reset")
@run_async
async def store_reset(yes: bool = typer.Option(False, "--yes", help="Really delete everything.")) -> None:
    """Delete every node and relationship of the graph (indexes stay)."""
    if not yes:
        typer.secho("refusing to delete the graph without --yes", err=True, fg=typer.colors.RED)
        raise typer.Exit(EXIT_ERROR)
    store = await opened_store()
    try:
        await store.write(CLEAR_GRAPH)
        typer.echo("graph cleared")
    finally:
        await store.close()


@cli.command()
def serve(host: str = typer.Option(None), port: int = typer.Option(None)) -> None:
    """Serve the GraphQL API (the store is started with the app and stopped on Ctrl-C)."""
    import uvicorn

    from app.api.app import create_app

    settings = get_settings()
    log.info("backend=%s data_dir=%s", settings.backend, settings.data_dir.resolve())
    try:
        uvicorn.run(create_app(settings=settings), host=host or settings.host, port=port or settings.port,
                    log_level=settings.log_level.lower(), lifespan="on")
    except C360Error as exc:
        typer.secho(f"error: {exc}", err=True, fg=typer.colors.RED)
        raise typer.Exit(EXIT_ERROR) from None


def _quiet_server_class() -> type:
    import uvicorn

    class QuietServer(uvicorn.Server):
        """Ctrl-C is the normal way to stop `make run`: shut down, stop the store, exit 0
        (uvicorn would re-raise the signal after its own shutdown)."""

        def handle_exit(self, sig: int, frame: Any) -> None:
            super().handle_exit(sig, frame)
            self._captured_signals.clear()

    return QuietServer


@cli.command()
@run_async
async def run(host: str = typer.Option(None), port: int = typer.Option(None)) -> None:
    """What `make run` does: start the store, set up the schema, load the demo data, serve the API."""
    import uvicorn

    from app.api.app import create_app

    _QuietServer = _quiet_server_class()
    settings = get_settings()
    store = await opened_store()
    try:
        await store.setup_schema()
        config = uvicorn.Config(create_app(store=store, settings=settings), host=host or settings.host,
                                port=port or settings.port, log_level=settings.log_level.lower(), lifespan="on")
        log.info("serving http://%s:%s/graphql (backend=%s, data in %s); Ctrl-C stops API and store",
                 config.host, config.port, settings.backend, settings.data_dir.resolve())
        await _QuietServer(config).serve()
    finally:
        await store.close()


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
