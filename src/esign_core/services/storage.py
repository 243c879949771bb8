"""Storage maintenance use cases: re-hash everything and repair what can be repaired
(``esign storage verify``), and move every referenced object to another backend, switching the
platform only once all of them are verified there (``esign storage migrate``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Literal

import attrs

from esign_core.errors import DomainError, StorageError
from esign_core.model.audit import Actor
from esign_core.model.policy import StorageSettings
from esign_core.ports import UnitOfWork
from esign_core.ports.blob_references import BlobReferences, MigrationJournal
from esign_core.ports.storage import BlobStore, blob_key, check_blob_key
from esign_core.values import BlobRef, Digest

ProblemKind = Literal["missing", "corrupt", "orphan", "invalid", "unreadable"]
#: ``progress(done_bytes, total_bytes, key)`` after each object.
Progress = Callable[[int, int, str], None]


@attrs.frozen
class StorageProblem:
    """One finding: ``missing`` (a pointer without its object), ``corrupt`` (bytes that do not
    hash to their key), ``orphan`` (an object no pointer names), ``invalid`` (a pointer whose key
    is malformed or does not match its digest), ``unreadable`` (the backend failed)."""

    kind: ProblemKind
    key: str
    detail: str = ""
    owners: tuple[str, ...] = ()
    repaired: bool = False


@attrs.frozen
class StorageReport:
    backend: str
    referenced: int  # distinct objects named by the database
    stored: int  # objects found in the store
    checked_bytes: int
    problems: tuple[StorageProblem, ...]

    @property
    def remaining(self) -> tuple[StorageProblem, ...]:
        return tuple(p for p in self.problems if not p.repaired)

    @property
    def ok(self) -> bool:
        return not self.remaining

    def count(self, kind: ProblemKind) -> int:
        return sum(1 for p in self.problems if p.kind == kind)


def referenced_objects(references: BlobReferences) -> tuple[dict[str, tuple[BlobRef, tuple[str, ...]]],
                                                              list[StorageProblem]]:
    """Distinct referenced objects by key, each with its owners; malformed pointers apart."""
    found: dict[str, tuple[BlobRef, list[str]]] = {}
    invalid: list[StorageProblem] = []
    for owner, ref in references.blob_refs():
        try:
            check_blob_key(ref.key)
            if ref.key != blob_key(ref.digest):
                raise StorageError("key does not match digest", reason="invalid_key")
        except StorageError:
            invalid.append(StorageProblem("invalid", ref.key[:200], "malformed key or key/digest mismatch", (owner,)))
            continue
        entry = found.setdefault(ref.key, (ref, []))
        entry[1].append(owner)
    return {k: (ref, tuple(owners)) for k, (ref, owners) in found.items()}, invalid


def _rehash(store: BlobStore, ref: BlobRef) -> StorageProblem | None:
    try:
        for _ in store.open(ref):
            pass
    except StorageError as exc:
        reason = exc.fields.get("reason")
        kind: ProblemKind = {"corrupt": "corrupt", "not_found": "missing"}.get(reason or "", "unreadable")  # type: ignore[assignment]
        return StorageProblem(kind, ref.key, exc.message)
    return None


def ref_for_key(key: str, size: int, backend: str) -> BlobRef:
    """The reference a content-addressed key implies (for objects no pointer names)."""
    return BlobRef(backend, key, size, Digest(key.rsplit("/", 1)[-1]))


def verify_storage(*, store: BlobStore, references: BlobReferences, repair: bool = False,
                   progress: Progress | None = None) -> StorageReport:
    """Re-hash every referenced object and every stored one. With ``repair``, delete orphans
    (objects no pointer names — e.g. left by a crash between writing an object and committing its
    pointer), after reading the pointers a second time so that an object committed meanwhile is
    kept. Missing and corrupt referenced objects cannot be repaired from one backend: they are
    reported. Raises StorageError only when the store cannot be listed."""
    refs, problems = referenced_objects(references)
    listing = dict(store.keys())
    total = sum(ref.size for ref, _ in refs.values()) + sum(s for k, s in listing.items() if k not in refs)
    done = 0
    for key in sorted(refs):
        ref, owners = refs[key]
        if key not in listing and not store.exists(ref):
            problems.append(StorageProblem("missing", key, "no object under this key", owners))
        else:
            found = _rehash(store, ref)
            if found is not None:
                problems.append(attrs.evolve(found, owners=owners))
        done += ref.size
        if progress:
            progress(done, total, key)
    orphans = []
    for key in sorted(set(listing) - set(refs)):
        try:
            check_blob_key(key)
        except StorageError:
            continue  # a store never lists a malformed key; nothing safe to do with one anyway
        ref = ref_for_key(key, listing[key], store.name)
        found = _rehash(store, ref)
        detail = "no pointer names this object" + (f"; also {found.kind}: {found.detail}" if found else "")
        orphans.append(StorageProblem("orphan", key, detail))
        done += listing[key]
        if progress:
            progress(done, total, key)
    if repair and orphans:
        still = referenced_objects(references)[0]  # an upload may have committed its pointer meanwhile
        for i, orphan in enumerate(orphans):
            if orphan.key in still:
                orphans[i] = attrs.evolve(orphan, detail="referenced by a pointer committed during the check",
                                          repaired=True)
                continue
            try:
                store.delete(ref_for_key(orphan.key, listing[orphan.key], store.name))
                orphans[i] = attrs.evolve(orphan, detail=orphan.detail + "; deleted", repaired=True)
            except StorageError as exc:
                orphans[i] = attrs.evolve(orphan, detail=f"{orphan.detail}; delete failed: {exc.message}")
    return StorageReport(store.name, len(refs), len(listing), done, tuple(problems + orphans))


@attrs.frozen
class MigrationReport:
    source: str
    target: str
    objects: int
    copied: int
    skipped: int  # already verified on the target by an earlier, interrupted run
    bytes_copied: int
    failures: tuple[StorageProblem, ...]
    switched: bool


def migrate_storage(*, source: BlobStore, target: BlobStore, target_settings: StorageSettings,
                    references: BlobReferences, journal: MigrationJournal, uow: UnitOfWork,
                    progress: Progress | None = None, max_rounds: int = 5) -> MigrationReport:
    """Copy every referenced object from ``source`` to ``target`` as a stream, verified by the
    target's read-back, and record each verified key in ``journal`` (a re-run skips them). Pointers
    committed while copying are picked up by further rounds. Only when every object is verified on
    the target are ``target_settings`` saved — the platform then reads and writes there; the
    source is left untouched. Objects whose source copy is missing or corrupt are reported and
    the switch is refused. Raises StorageError when a backend is unavailable or refuses access (the
    journal keeps what was done), DomainError when the target is the storage already in use."""
    with uow:
        if uow.settings.get(StorageSettings) == target_settings:
            raise DomainError("the platform already uses this storage; choose another target")
    seen: set[str] = set()
    copied = skipped = copied_bytes = 0
    failures: dict[str, StorageProblem] = {}
    for _ in range(max_rounds):
        refs, invalid = referenced_objects(references)
        for problem in invalid:
            failures[problem.key] = problem
        todo = sorted(set(refs) - seen)
        if not todo:
            break
        total, done = sum(refs[k][0].size for k in todo), 0
        for key in todo:
            ref, owners = refs[key]
            seen.add(key)
            if journal.is_done(key) and target.exists(ref):
                skipped += 1
            else:
                problem = _copy(source, target, ref)
                if problem is not None:
                    failures[key] = attrs.evolve(problem, owners=owners)
                else:
                    journal.record(key)
                    copied += 1
                    copied_bytes += ref.size
            done += ref.size
            if progress:
                progress(done, total, key)
    else:
        raise StorageError("pointers kept changing while migrating; stop the application nodes and retry",
                           backend=target.name, reason="other")
    switched = False
    if not failures:
        with uow:
            uow.settings.put(target_settings)
            uow.commit()
        journal.finish()
        switched = True
    return MigrationReport(source.name, target.name, len(seen), copied, skipped, copied_bytes,
                           tuple(failures.values()), switched)


def _copy(source: BlobStore, target: BlobStore, ref: BlobRef) -> StorageProblem | None:
    """Stream one object across; the target's put verifies it by reading it back."""
    try:
        stored = target.put(source.open(ref))
    except StorageError as exc:
        reason = exc.fields.get("reason")
        if reason in ("unavailable", "denied"):
            raise  # the backend, not this object, is the problem: stop; the journal keeps the progress
        if reason == "not_found":
            # The source lost it; a copy already verified on the target still counts.
            return None if target.exists(ref) and _rehash(target, ref) is None else StorageProblem(
                "missing", ref.key, f"missing on {source.name}")
        kind: ProblemKind = "corrupt" if reason == "corrupt" else "unreadable"
        return StorageProblem(kind, ref.key, exc.message)
    if stored.key != ref.key or stored.size != ref.size:
        return StorageProblem("corrupt", ref.key, f"{target.name} stored {stored.key} ({stored.size} bytes)")
    return None



Step = tuple[str, bool, str]


@attrs.frozen
class ConfigureResult:
    steps: tuple[Step, ...]
    saved: bool

    @property
    def ok(self) -> bool:
        return self.saved


def configure_storage(settings: StorageSettings, *, store: BlobStore, references: BlobReferences,
                      uow: UnitOfWork, actor: Actor | None = None, at: datetime | None = None) -> ConfigureResult:
    """Save new storage settings after proving them: the connection test (write, read back,
    delete a probe) must pass, and every object the database points to must already be in the new
    store — moving the files is ``migrate``'s job. Nothing is saved when a step fails. Raises
    DatabaseError when the pointers or settings cannot be read or written."""
    steps: list[Step] = list(store.check())
    if not steps or not all(ok for _, ok, _ in steps):
        return ConfigureResult(tuple(steps), saved=False)
    with uow:
        current = uow.settings.get(StorageSettings)
    if current != settings:
        refs, _ = referenced_objects(references)
        try:
            missing = [key for key, (ref, _) in refs.items() if not store.exists(ref)]
        except StorageError as exc:
            steps.append(("existing files", False, exc.message))
            return ConfigureResult(tuple(steps), saved=False)
        if missing:
            steps.append(("existing files", False, f"{len(missing)} of {len(refs)} stored files are not in this "
                          "storage; move them with `esign storage migrate --to`"))
            return ConfigureResult(tuple(steps), saved=False)
        steps.append(("existing files", True, f"all {len(refs)} stored files present"))
    with uow:
        if at is not None:  # audited (who, from where, old → new with sealed secrets masked)
            from esign_core.services.settings import store_section

            store_section(uow, uow.settings.get(StorageSettings), settings, actor=actor or Actor(), at=at)
        else:
            uow.settings.put(settings)
        uow.commit()
    steps.append(("save", True, f"storage is now {settings.backend}"))
    return ConfigureResult(tuple(steps), saved=True)
