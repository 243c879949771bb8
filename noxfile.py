"""Developer sessions: `nox -s tests`, `nox -s lint`, `nox -s bench`."""

import nox

nox.options.sessions = ["lint", "tests"]
nox.options.reuse_existing_virtualenvs = True


@nox.session(python="3.11")
def tests(session: nox.Session) -> None:
    """The whole test suite (architecture checks included)."""
    session.install("-e", ".[dev]")
    session.run("pytest", *session.posargs)


@nox.session(python="3.11")
def lint(session: nox.Session) -> None:
    """ruff and import-linter."""
    session.install("-e", ".[dev]")
    session.run("ruff", "check", "src", "tests", "noxfile.py", "benchmarks")
    session.run("lint-imports")


@nox.session(python="3.11")
def bench(session: nox.Session) -> None:
    """Benchmarks; each prints its figure as a ratio to a baseline measured in the same run."""
    session.install("-e", ".[dev]")
    session.run("python", "-m", "benchmarks", *session.posargs)
