"""Developer sessions: `nox -s tests`, `nox -s lint`, `nox -s bench`, `nox -s docs`, `nox -s campaign`."""

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
    session.run("ruff", "check", "src", "tests", "noxfile.py", "benchmarks", "examples", "campaign")
    session.run("lint-imports")
    session.run("mypy")


@nox.session(python="3.11")
def bench(session: nox.Session) -> None:
    """Benchmarks; each prints its figure as a ratio to a baseline measured in the same run."""
    session.install("-e", ".[dev]")
    session.run("python", "-m", "benchmarks", *session.posargs)


@nox.session(python="3.11")
def docs(session: nox.Session) -> None:
    """The documentation site into site/ (mkdocs-material; no network access at build time; a broken
    internal link fails the build)."""
    session.install("-e", ".[docs]")
    session.run("mkdocs", "build", "--strict", "--site-dir", "site", env={"NO_MKDOCS_2_WARNING": "1"})


@nox.session(python="3.11")
def campaign(session: nox.Session) -> None:
    """The load, fault and bad-input campaign (issue 12; outside the test suite, bounded by its
    budgets): `nox -s campaign -- --quick`. See docs/reliability.md."""
    session.install("-e", ".[dev]")
    session.run("python", "-m", "campaign", *session.posargs)
