"""SQL persistence: SQLAlchemy Core tables, explicit row translation, a unit of work with
optimistic locking, engines for SQLite / PostgreSQL / MySQL-MariaDB and Alembic migrations.

Import what you need from the submodules (``engine``, ``uow``, ``migrate``); importing this
package imports no database driver.
"""
