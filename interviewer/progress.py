"""Progress store: every practice attempt and each question's review schedule.

Why this exists: practising interview questions only pays off if the app
remembers what each user got wrong and brings it back at the right time. This
module keeps that memory in one SQLite file (standard-library ``sqlite3``
only) and answers the questions the app asks of it: what is due, what is
weakest, how is each section going, and what does my history look like
(as CSV or as a Markdown gap report).

Design notes

* **Durability.** :meth:`ProgressStore.record` writes the attempt and the
  updated review state in one transaction and commits before returning
  (WAL journal, ``synchronous=FULL``), so a process killed right afterwards
  loses nothing.
* **Locked database.** If another process keeps the database locked past the
  busy timeout, the attempt is appended (and fsync'd) to a JSON-lines journal
  next to the database, ``<db>.pending.jsonl``, and :class:`AttemptJournaled`
  is raised. The journal is replayed on the next successful open or record.
  Every attempt carries a client-generated ``uuid`` (UNIQUE in the table), so
  a replay never duplicates an attempt.
* **Schema versions.** ``PRAGMA user_version`` holds the schema version and
  :data:`MIGRATIONS` upgrades older files in place, in one transaction, without
  losing rows. A file from a newer app version is refused
  (:class:`NewerSchemaError`); a damaged or non-SQLite file is refused
  (:class:`CorruptDatabaseError`) and never modified -- use
  :meth:`ProgressStore.open_or_recover` to move it aside and start afresh.
* **Threads and processes.** The store opens a fresh connection for every
  call and closes it afterwards, so one :class:`ProgressStore` can be shared
  by all threads of the web app; concurrent writers (threads or processes)
  are serialised by SQLite with ``busy_timeout``. The store holds no mutable
  state besides a lock that serialises access to the journal file, and the
  module holds none at all.
* **Profiles** are strictly isolated: every query takes a profile name, which
  is validated and normalised (stripped, NFC) the same way everywhere.
* **Collections.** One data folder can serve several question collections
  (the bundled one and a user's own ``--corpus``). Every attempt records the
  key of the collection it was answered in (``attempts.collection``, schema
  v4; :func:`collection_key`: ``"bundled"`` or the collection's resolved
  path). A store opened with a :class:`CollectionScope` (as the app and the
  CLI do) reports only that collection's progress: an attempt belongs to it
  when it was recorded under its key, **or** its question id is one of the
  collection's ids, **or** it predates v4 (key ``''``) and the scope is the
  bundled collection. Why this design, of the ones considered:

  - Nothing is rewritten or deleted; the migration is one added column, so an
    old file keeps every row and a switch back to a collection shows all of
    its progress again. Rows from before v4 cannot be told apart, so they stay
    with the bundled collection (where nearly all of them were made) and
    also show in any collection that contains their question.
  - Question ids are hashes of the section and heading path, so two different
    collections practically never share one; when they do (an edited copy of
    the bundled file), it is the same question under the same section, and
    sharing its progress and its review schedule (``review_states`` stays
    keyed by question id) is what the user wants.
  - Filtering by ids alone would hide the history of a question whose heading
    was later edited (its id changes); the recorded key keeps it visible.
    Filtering by the key alone would hide everything recorded before v4 and
    everything when a collection folder is moved; the id rule keeps those.

  A store without a scope (``scope=None``) sees every attempt, as before.

Scheduling and mastery choices

* ``answer`` and ``followup`` attempts with a score update the question's
  :class:`~interviewer.schedule.ReviewState` via :func:`schedule.review`.
* ``skip`` makes the question due again soon (:func:`schedule.skip`) but is
  *not* a failed answer: it changes neither the ease/interval nor mastery.
* ``note`` (and any unscored attempt) is stored for the history only.
* Mastery of a question is the exponentially weighted mean of its scored
  attempts (answers and follow-ups), oldest to newest, with weight
  :data:`MASTERY_ALPHA` on the newest: ``m = a*score + (1-a)*m``. With
  ``a = 0.5`` the latest answer counts half, the one before a quarter, ...
  Questions never scored have no mastery and are left out of
  :meth:`~ProgressStore.weakest` (they are "new", not "weak").
* An answer or follow-up given **after the user looked at the reference**
  (``Attempt.reference_shown``) is kept with its score, but it is not a
  recall: it is left out of mastery (and of the mean score and section
  numbers), and the schedule treats it as a failed recall
  (:func:`schedule.review_seen`: due again in 10 minutes, ladder reset), so
  pasting the reference never marks a question as learned.
* A follow-up on **one key point** of a question ("can you expand on 「稀疏」?",
  ``Attempt.focus`` holds the term) is kept with its score, but it answers a
  part, not the question: it counts neither toward mastery nor the schedule,
  so a good point after a weak answer does not hide the weak answer.
* "Needs work" (:meth:`~ProgressStore.needs_work`, the gap report's weakest
  list, the session summary's "to review") means mastery or score below
  :data:`NEEDS_WORK_BELOW` (65, where the scorer's 良好 band starts).
"""

from __future__ import annotations

import contextlib
import csv
import functools
import io
import json
import math
import numbers
import os
import re
import sqlite3
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from uuid import uuid4

import platformdirs

from index.durable import fsync_dir

from . import schedule
from .schedule import ReviewState

APP_NAME = "ai-interview-coach"
DATA_DIR_ENV = "AI_INTERVIEW_DATA_DIR"
DB_FILENAME = "progress.sqlite3"
JOURNAL_SUFFIX = ".pending.jsonl"
REJECTED_SUFFIX = ".pending.rejected.jsonl"

KINDS: tuple[str, ...] = ("answer", "followup", "skip", "note")
SCORED_KINDS: frozenset[str] = frozenset({"answer", "followup"})
MAX_PROFILE_LENGTH = 64
MASTERY_ALPHA = 0.5
NEEDS_WORK_BELOW = 65.0
"""A question needs work when its mastery (or a session answer's score) is below this.

It is where the scorer's 良好 ("good") band starts: answers in the 及格 and
需加强 bands need work, 良好 and 优秀 ones do not.
"""
NOTHING_NEEDS_WORK = (
    f"没有需要加强的题目：练过的题目掌握度都不低于 {NEEDS_WORK_BELOW:g} / nothing needs work: "
    f"every practised question has mastery {NEEDS_WORK_BELOW:g} or more."
)
DEFAULT_BUSY_TIMEOUT = 5.0

BUNDLED_COLLECTION_KEY = "bundled"
"""Collection key of the bundled collection; rows recorded before schema v4 count as its."""

_SQLITE_BUSY = 5
_SQLITE_LOCKED = 6
_SQLITE_CORRUPT = 11
_SQLITE_CANTOPEN = 14
_SQLITE_NOTADB = 26
_JOURNAL_FORMAT = 1


# --------------------------------------------------------------------------
# Errors


class ProgressStoreError(Exception):
    """Something the user or the app should be told about the progress store."""


class InvalidProfileError(ProgressStoreError):
    """A profile name that is empty, too long or contains control characters."""


class CorruptDatabaseError(ProgressStoreError):
    """The file is not a SQLite database or is damaged; it was left untouched."""

    def __init__(self, message: str, path: Path) -> None:
        super().__init__(message)
        self.path = path


class NewerSchemaError(ProgressStoreError):
    """The file was written by a newer version of the app; it was left untouched."""

    def __init__(self, message: str, path: Path, found: int, supported: int) -> None:
        super().__init__(message)
        self.path = path
        self.found = found
        self.supported = supported


class AttemptJournaled(ProgressStoreError):
    """The database was busy, so the attempt went to the pending journal.

    Nothing is lost: the attempt is replayed into the database on the next
    successful open or record. ``attempt_uuid`` identifies it.
    """

    def __init__(self, message: str, journal_path: Path, attempt_uuid: str) -> None:
        super().__init__(message)
        self.journal_path = journal_path
        self.attempt_uuid = attempt_uuid


# --------------------------------------------------------------------------
# Records


def _new_uuid() -> str:
    return uuid4().hex


@dataclass
class Attempt:
    """One thing a user did with a question: an answer, follow-up, skip or note.

    ``score`` is 0–100, or None when unscored (notes, questions without a
    reference answer). ``components`` holds the scorer's sub-scores.
    ``uuid`` is generated on the client so that replaying the pending journal
    is idempotent. ``id`` is assigned by :meth:`ProgressStore.record`.
    ``reference_shown``: the user saw the reference answer before answering;
    the score is kept but does not count toward mastery (module docstring).
    ``collection``: the key of the question collection (:func:`collection_key`);
    left empty, :meth:`ProgressStore.record` fills in its scope's key.
    ``focus``: for a follow-up on one key point, that key term; such an attempt
    counts neither toward mastery nor the schedule (module docstring).
    """

    id: int | None
    profile: str
    question_id: str
    section: str
    question_title: str
    answer: str
    score: float | None = None
    band: str | None = None
    components: dict[str, float] = field(default_factory=dict)
    kind: str = "answer"
    session_id: str = ""
    created_at: float = field(default_factory=time.time)
    uuid: str = field(default_factory=_new_uuid)
    reference_shown: bool = False
    collection: str = ""  # key of the collection answered in; '' = the store's scope (or unknown)
    focus: str = ""  # the key term of a follow-up on one point ('' = the whole question)

    @property
    def is_scored(self) -> bool:
        """True for an answer or follow-up that carries a score."""
        return self.kind in SCORED_KINDS and self.score is not None

    @property
    def counts_toward_mastery(self) -> bool:
        """Scored, not given after seeing the reference, not a follow-up on one point (``_MASTERY_WHERE``)."""
        return self.is_scored and not self.reference_shown and not self.focus


@dataclass(frozen=True)
class SectionMastery:
    """How one section is going, from scored answers and follow-ups only."""

    section: str
    attempted_questions: int
    attempts: int
    mean_score: float
    mastery: float


@dataclass(frozen=True)
class ProgressStats:
    """Headline numbers for one profile."""

    profile: str
    attempts: int
    scored_attempts: int
    skips: int
    notes: int
    questions_attempted: int
    questions_scheduled: int
    due_now: int
    sessions: int
    mean_score: float | None
    mean_mastery: float | None
    first_at: float | None
    last_at: float | None
    reference_seen: int = 0  # scored attempts given after seeing the reference (not in mastery)


@dataclass(frozen=True)
class CollectionScope:
    """The collection whose progress a store reports: its key and its question ids.

    See the module docstring for which attempts belong to a scope and why.
    """

    key: str
    question_ids: frozenset[str] = frozenset()

    @property
    def includes_unkeyed(self) -> bool:
        """Attempts recorded before collections were told apart (key '') count as the bundled one's."""
        return self.key == BUNDLED_COLLECTION_KEY

    @functools.cached_property
    def ids_json(self) -> str:
        """The question ids as a JSON array (one SQL parameter for ``json_each``)."""
        return json.dumps(sorted(self.question_ids), ensure_ascii=False)


def collection_key(corpus: str | os.PathLike[str] | None,
                   bundled: str | os.PathLike[str] | None = None) -> str:
    """The key progress is recorded under for a collection location.

    ``"bundled"`` for the bundled collection (``corpus`` None, or the path of
    ``bundled``), else the resolved absolute path of the file or folder, the
    same identity the index folder uses.
    """
    if corpus is None:
        return BUNDLED_COLLECTION_KEY
    resolved = Path(corpus).expanduser().resolve()
    if bundled is not None and resolved == Path(bundled).expanduser().resolve():
        return BUNDLED_COLLECTION_KEY
    return str(resolved)


# --------------------------------------------------------------------------
# Paths


def default_data_dir() -> Path:
    """``$AI_INTERVIEW_DATA_DIR`` if set, else the platform's user data folder."""
    override = os.environ.get(DATA_DIR_ENV, "").strip()
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME))


def ensure_data_dir(path: Path) -> Path:
    """Create the data folder if needed; a :class:`ProgressStoreError` saying what to do when ``path`` cannot
    be one (a file, no permission), instead of a traceback from deep inside the index or the database."""
    fix = f"point --data-dir (or {DATA_DIR_ENV}) at a folder you can write to"
    if path.exists() and not path.is_dir():
        raise ProgressStoreError(f"The data folder {path} is a file, not a folder: {fix}.")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ProgressStoreError(f"Cannot use {path} as the data folder ({exc.strerror or exc}): {fix}.") from exc
    return path


def default_db_path() -> Path:
    """Where the progress database lives by default."""
    return default_data_dir() / DB_FILENAME


# --------------------------------------------------------------------------
# Schema and migrations


@dataclass(frozen=True)
class Migration:
    """One schema step: ``apply`` brings a file from ``version - 1`` to ``version``."""

    version: int
    description: str
    apply: Callable[[sqlite3.Connection], None]


_V1_STATEMENTS: tuple[str, ...] = (
    """
    CREATE TABLE attempts (
        id             INTEGER PRIMARY KEY AUTOINCREMENT,
        profile        TEXT NOT NULL,
        question_id    TEXT NOT NULL,
        section        TEXT NOT NULL DEFAULT '',
        question_title TEXT NOT NULL DEFAULT '',
        answer         TEXT NOT NULL DEFAULT '',
        score          REAL CHECK (score IS NULL OR (score >= 0 AND score <= 100)),
        band           TEXT,
        components     TEXT NOT NULL DEFAULT '{}',
        session_id     TEXT NOT NULL DEFAULT '',
        created_at     REAL NOT NULL
    )
    """,
    "CREATE INDEX attempts_by_question ON attempts (profile, question_id, created_at)",
)

_V2_STATEMENTS: tuple[str, ...] = (
    """
    ALTER TABLE attempts ADD COLUMN kind TEXT NOT NULL DEFAULT 'answer'
        CHECK (kind IN ('answer', 'followup', 'skip', 'note'))
    """,
    "ALTER TABLE attempts ADD COLUMN uuid TEXT",
    "UPDATE attempts SET uuid = lower(hex(randomblob(16))) WHERE uuid IS NULL",
    "CREATE UNIQUE INDEX attempts_by_uuid ON attempts (uuid)",
    "CREATE INDEX attempts_by_time ON attempts (profile, created_at)",
    """
    CREATE TABLE review_states (
        profile         TEXT NOT NULL,
        question_id     TEXT NOT NULL,
        repetitions     INTEGER NOT NULL,
        interval_days   REAL NOT NULL,
        ease            REAL NOT NULL,
        due_at          REAL NOT NULL,
        last_score      REAL,
        reviewed_at     REAL NOT NULL,
        last_attempt_id INTEGER REFERENCES attempts (id) ON DELETE SET NULL,
        PRIMARY KEY (profile, question_id)
    )
    """,
    "CREATE INDEX review_states_by_due ON review_states (profile, due_at)",
)


def _migrate_v1(conn: sqlite3.Connection) -> None:
    for statement in _V1_STATEMENTS:
        conn.execute(statement)


def _migrate_v2(conn: sqlite3.Connection) -> None:
    for statement in _V2_STATEMENTS:
        conn.execute(statement)
    # Old rows were all answers: rebuild each question's schedule from them.
    pairs = conn.execute("SELECT DISTINCT profile, question_id FROM attempts").fetchall()
    for profile, question_id in pairs:
        # v2 has no reference_shown column yet (added in v3): every old row counts
        _rebuild_state(conn, profile, question_id, seen_column="0", focus_column="''", plan_column=False)


_V3_STATEMENTS: tuple[str, ...] = (
    """
    ALTER TABLE attempts ADD COLUMN reference_shown INTEGER NOT NULL DEFAULT 0
        CHECK (reference_shown IN (0, 1))
    """,
)


def _migrate_v3(conn: sqlite3.Connection) -> None:
    # Older rows were not tracked: they count as answered without the reference,
    # which is how they were scheduled, so review_states stay as they are.
    for statement in _V3_STATEMENTS:
        conn.execute(statement)


_V4_STATEMENTS: tuple[str, ...] = (
    "ALTER TABLE attempts ADD COLUMN collection TEXT NOT NULL DEFAULT ''",
)


def _migrate_v4(conn: sqlite3.Connection) -> None:
    # Older rows keep '' ("recorded before collections were told apart"): they
    # count as the bundled collection's, and as any collection's holding their id.
    for statement in _V4_STATEMENTS:
        conn.execute(statement)


_V5_STATEMENTS: tuple[str, ...] = (
    "ALTER TABLE attempts ADD COLUMN focus TEXT NOT NULL DEFAULT ''",
)


def _migrate_v5(conn: sqlite3.Connection) -> None:
    # Older follow-ups were all on whole (sub-)questions: '' keeps their meaning,
    # so review_states stay as they are.
    for statement in _V5_STATEMENTS:
        conn.execute(statement)


_V6_STATEMENTS: tuple[str, ...] = (
    "ALTER TABLE review_states ADD COLUMN planned_due_at REAL",
)


def _migrate_v6(conn: sqlite3.Connection) -> None:
    # A skip used to forget when the interval it interrupted ended, so a good answer when the question came
    # back 10 minutes later counted as an on-time review. The states a skip set last are replayed from their
    # history, so old skips are remembered too; every other state stays as it is (NULL: due_at is the plan).
    for statement in _V6_STATEMENTS:
        conn.execute(statement)
    skipped = conn.execute(
        "SELECT r.profile, r.question_id FROM review_states r JOIN attempts a ON a.id = r.last_attempt_id "
        "WHERE a.kind = 'skip'").fetchall()
    for profile, question_id in skipped:
        _rebuild_state(conn, profile, question_id)


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "attempts table", _migrate_v1),
    Migration(2, "attempt kind + uuid, review_states table and indexes", _migrate_v2),
    Migration(3, "attempts.reference_shown (answered after seeing the reference)", _migrate_v3),
    Migration(4, "attempts.collection (which question collection it was answered in)", _migrate_v4),
    Migration(5, "attempts.focus (a follow-up on one key point: kept, not scheduled)", _migrate_v5),
    Migration(6, "review_states.planned_due_at (when the interval a skip interrupted ends)", _migrate_v6),
)
SCHEMA_VERSION = MIGRATIONS[-1].version

_ATTEMPT_COLUMNS = (
    "id, profile, question_id, section, question_title, answer, score, band, "
    "components, kind, session_id, created_at, uuid, reference_shown, collection, focus"
)
# scored attempts that count toward mastery: not those given after seeing the reference,
# nor follow-ups on one key point
_MASTERY_WHERE = ("kind IN ('answer', 'followup') AND score IS NOT NULL AND reference_shown = 0"
                  " AND focus = ''")
_STATE_COLUMNS = "repetitions, interval_days, ease, due_at, last_score, planned_due_at"


# --------------------------------------------------------------------------
# Validation


_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def normalize_profile(name: object) -> str:
    """The canonical form of a profile name, or :class:`InvalidProfileError`.

    Names are stripped and NFC-normalised; they must be 1–64 characters with
    no control characters (newlines, tabs, NUL, bidi overrides, ...).
    """
    if not isinstance(name, str):
        raise InvalidProfileError(
            f"A profile name must be text, not {type(name).__name__}."
        )
    cleaned = unicodedata.normalize("NFC", name.strip())
    if not cleaned:
        raise InvalidProfileError("Please enter a profile name (it cannot be empty).")
    if len(cleaned) > MAX_PROFILE_LENGTH:
        raise InvalidProfileError(
            f"Profile names can be at most {MAX_PROFILE_LENGTH} characters "
            f"(this one has {len(cleaned)})."
        )
    for ch in cleaned:
        if ch in _BIDI_CONTROLS or unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp"):
            raise InvalidProfileError(
                f"Profile names cannot contain control characters such as "
                f"{ch.encode('unicode_escape').decode('ascii')}; "
                f"please use letters, digits, spaces or punctuation."
            )
    return cleaned


def _clean_text(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise ProgressStoreError(f"Attempt {what} must be text, not {type(value).__name__}.")
    # Lone surrogates cannot be stored as UTF-8; replace them instead of failing.
    return value.encode("utf-8", "replace").decode("utf-8")


def _finite(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ProgressStoreError(f"Attempt {what} must be a number, not {value!r}.")
    number = float(value)
    if not math.isfinite(number):
        raise ProgressStoreError(f"Attempt {what} must be a finite number, not {value!r}.")
    return number


def _attempt_row(attempt: Attempt) -> dict[str, object]:
    """Validate ``attempt`` and return the normalised column values."""
    if attempt.kind not in KINDS:
        raise ProgressStoreError(
            f"Unknown attempt kind {attempt.kind!r}; expected one of {', '.join(KINDS)}."
        )
    question_id = _clean_text(attempt.question_id, "question_id")
    if not question_id.strip():
        raise ProgressStoreError("Attempt question_id cannot be empty.")
    score = None
    if attempt.score is not None:
        score = _finite(attempt.score, "score")
        if not 0.0 <= score <= 100.0:
            raise ProgressStoreError(f"Attempt score must be between 0 and 100, not {score}.")
    if not isinstance(attempt.components, Mapping):
        raise ProgressStoreError("Attempt components must be a mapping of name → number.")
    components = {
        _clean_text(str(k), "component name"): _finite(v, f"component {k!r}")
        for k, v in attempt.components.items()
    }
    uuid = _clean_text(attempt.uuid, "uuid").strip()
    if not uuid:
        raise ProgressStoreError("Attempt uuid cannot be empty.")
    if not isinstance(attempt.reference_shown, bool):
        raise ProgressStoreError(
            f"Attempt reference_shown must be True or False, not {attempt.reference_shown!r}."
        )
    return {
        "uuid": uuid,
        "profile": normalize_profile(attempt.profile),
        "question_id": question_id,
        "section": _clean_text(attempt.section, "section"),
        "question_title": _clean_text(attempt.question_title, "question_title"),
        "answer": _clean_text(attempt.answer, "answer"),
        "score": score,
        "band": None if attempt.band is None else _clean_text(attempt.band, "band"),
        "components": json.dumps(components, ensure_ascii=False, sort_keys=True),
        "kind": attempt.kind,
        "session_id": _clean_text(attempt.session_id, "session_id"),
        "created_at": _finite(attempt.created_at, "created_at"),
        "reference_shown": int(attempt.reference_shown),
        "collection": _clean_text(attempt.collection, "collection"),
        "focus": _clean_text(attempt.focus, "focus"),
    }


# --------------------------------------------------------------------------
# Row helpers and schedule bookkeeping (module functions: no state)


def _attempt_from_row(row: sqlite3.Row | tuple) -> Attempt:
    (id_, profile, qid, section, title, answer, score, band, comps, kind, session,
     created, uuid, seen, collection, focus) = row
    try:
        components = {str(k): float(v) for k, v in json.loads(comps or "{}").items()}
    except (ValueError, TypeError, AttributeError):
        components = {}
    return Attempt(
        id=id_, profile=profile, question_id=qid, section=section,
        question_title=title, answer=answer, score=score, band=band,
        components=components, kind=kind, session_id=session,
        created_at=created, uuid=uuid, reference_shown=bool(seen),
        collection=collection, focus=focus,
    )


def _state_from_row(row: tuple) -> ReviewState:
    repetitions, interval_days, ease, due_at, last_score, planned_due_at = row
    return ReviewState(
        repetitions=int(repetitions), interval_days=float(interval_days),
        ease=float(ease), due_at=float(due_at),
        last_score=None if last_score is None else float(last_score),
        planned_due_at=None if planned_due_at is None else float(planned_due_at),
    )


def _apply(state: ReviewState | None, kind: str, score: float | None,
           when: float, reference_shown: bool = False, focus: str = "") -> ReviewState | None:
    """The review state after one attempt (``state`` unchanged: the attempt does not schedule)."""
    if focus:  # a follow-up on one point answers a part, not the question
        return state
    if kind in SCORED_KINDS and score is not None:
        grade = schedule.review_seen if reference_shown else schedule.review
        return grade(state or schedule.initial_state(when), score, when)
    if kind == "skip":
        return schedule.skip(state or schedule.initial_state(when), when)
    return state


def _save_state(conn: sqlite3.Connection, profile: str, question_id: str,
                state: ReviewState, reviewed_at: float, attempt_id: int | None, plan_column: bool = True) -> None:
    """Write a question's review state (``plan_column`` False for schemas older than v6, which lack
    ``planned_due_at``)."""
    values = {
        "repetitions": state.repetitions, "interval_days": state.interval_days, "ease": state.ease,
        "due_at": state.due_at, "last_score": state.last_score, "reviewed_at": reviewed_at,
        "last_attempt_id": attempt_id,
    }
    if plan_column:
        values["planned_due_at"] = state.planned_due_at
    columns = ", ".join(values)
    updates = ", ".join(f"{c} = excluded.{c}" for c in values)
    conn.execute(
        f"INSERT INTO review_states (profile, question_id, {columns}) VALUES (?, ?{', ?' * len(values)}) "
        f"ON CONFLICT (profile, question_id) DO UPDATE SET {updates}",
        (profile, question_id, *values.values()),
    )


def _rebuild_state(conn: sqlite3.Connection, profile: str, question_id: str,
                   seen_column: str = "reference_shown", focus_column: str = "focus",
                   plan_column: bool = True) -> None:
    """Recompute a question's review state from its whole history, in time order.

    ``seen_column`` / ``focus_column`` are the SQL for the reference-shown flag
    and the follow-up focus ("0" / "''" for schemas older than v3 / v5, which
    lack the columns); ``plan_column`` is False before v6 (no ``planned_due_at``).
    """
    rows = conn.execute(
        f"SELECT id, kind, score, created_at, {seen_column}, {focus_column} FROM attempts "
        "WHERE profile = ? AND question_id = ? ORDER BY created_at, id",
        (profile, question_id),
    ).fetchall()
    state: ReviewState | None = None
    reviewed_at, last_id = 0.0, None
    for attempt_id, kind, score, created_at, seen, focus in rows:
        new = _apply(state, kind, score, created_at, bool(seen), focus or "")
        if new is not state:
            state, reviewed_at, last_id = new, created_at, attempt_id
    if state is None:
        conn.execute("DELETE FROM review_states WHERE profile = ? AND question_id = ?",
                     (profile, question_id))
    else:
        _save_state(conn, profile, question_id, state, reviewed_at, last_id, plan_column)


def _insert_attempt(conn: sqlite3.Connection, row: Mapping[str, object]) -> tuple[int, bool]:
    """Insert one attempt (no-op if its uuid exists) and update its schedule.

    Returns ``(id, inserted)``. Must run inside a write transaction.
    """
    cur = conn.execute(
        """
        INSERT INTO attempts (uuid, profile, question_id, section, question_title, answer,
                              score, band, components, kind, session_id, created_at,
                              reference_shown, collection, focus)
        VALUES (:uuid, :profile, :question_id, :section, :question_title, :answer,
                :score, :band, :components, :kind, :session_id, :created_at,
                :reference_shown, :collection, :focus)
        ON CONFLICT (uuid) DO NOTHING
        RETURNING id
        """,
        row,
    )
    got = cur.fetchone()
    cur.close()
    if got is None:
        existing = conn.execute("SELECT id FROM attempts WHERE uuid = ?",
                                (row["uuid"],)).fetchone()
        return int(existing[0]), False
    attempt_id = int(got[0])
    kind, score, when = row["kind"], row["score"], float(row["created_at"])  # type: ignore[arg-type]
    if ((kind in SCORED_KINDS and score is not None) or kind == "skip") and not row["focus"]:
        profile, qid = row["profile"], row["question_id"]
        current = conn.execute(
            f"SELECT {_STATE_COLUMNS}, reviewed_at FROM review_states "
            "WHERE profile = ? AND question_id = ?",
            (profile, qid),
        ).fetchone()
        if current is not None and when < current[6]:
            # Arrived out of order (e.g. replayed from the journal): replay history.
            _rebuild_state(conn, profile, qid)  # type: ignore[arg-type]
        else:
            state = None if current is None else _state_from_row(current[:6])
            new = _apply(state, kind, score, when,  # type: ignore[arg-type]
                         bool(row["reference_shown"]))
            assert new is not None
            _save_state(conn, profile, qid, new, when, attempt_id)  # type: ignore[arg-type]
    return attempt_id, True


def _mastery_of(scores: Iterable[float]) -> float | None:
    mastery: float | None = None
    for score in scores:
        mastery = score if mastery is None else MASTERY_ALPHA * score + (1 - MASTERY_ALPHA) * mastery
    return mastery


def _error_code(exc: sqlite3.Error) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    return None if code is None else code & 0xFF


def _is_busy(exc: sqlite3.Error) -> bool:
    if _error_code(exc) in (_SQLITE_BUSY, _SQLITE_LOCKED):
        return True
    text = str(exc).lower()
    return "database is locked" in text or "database is busy" in text


@contextlib.contextmanager
def _write_transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """``BEGIN IMMEDIATE`` … ``COMMIT``; rolls back on any exception."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        if conn.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


@contextlib.contextmanager
def _file_lock(handle: io.IOBase) -> Iterator[None]:
    """Exclusive advisory lock on an open file (POSIX ``flock``).

    Where ``fcntl`` is missing (Windows) this is a no-op: threads of one store
    are still serialised by the store's lock, and appends are single writes.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


# --------------------------------------------------------------------------
# The store


class ProgressStore:
    """Attempts and review schedules of all profiles in one SQLite file.

    ``ProgressStore(path)`` creates the file (and its folders) if needed,
    upgrades an older schema in place, replays any pending journal, and
    raises :class:`ProgressStoreError` (or a subclass) with a readable message
    if the file cannot be used. Safe to share between threads: each call uses
    its own short-lived connection.

    ``scope`` (a :class:`CollectionScope`) limits every report to one question
    collection and stamps its key on recorded attempts; None sees everything.
    """

    def __init__(self, path: str | os.PathLike[str], *,
                 busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
                 scope: CollectionScope | None = None) -> None:
        self.path = Path(os.path.abspath(Path(path).expanduser()))
        self.busy_timeout = float(busy_timeout)
        self.scope = scope
        self.journal_path = self.path.with_name(self.path.name + JOURNAL_SUFFIX)
        self.rejected_path = self.path.with_name(self.path.name + REJECTED_SUFFIX)
        self._journal_lock = threading.Lock()
        if self.path.is_dir():
            raise ProgressStoreError(
                f"The progress database {self.path} is a folder, not a database file: move that folder away "
                f"(mv '{self.path}' '{self.path}.folder'), or choose another data folder with --data-dir "
                f"(or {DATA_DIR_ENV}); the database is created there."
            )
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ProgressStoreError(
                f"Cannot create the data folder {self.path.parent}: {exc}. "
                f"Set {DATA_DIR_ENV} to a writable folder."
            ) from exc
        self._open_schema()
        self._replay_journal(quiet=True)

    def __repr__(self) -> str:
        return f"ProgressStore({str(self.path)!r})"

    @classmethod
    def open_or_recover(cls, path: str | os.PathLike[str], *,
                        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
                        scope: CollectionScope | None = None,
                        ) -> tuple[ProgressStore, str | None]:
        """Open ``path``; if it is corrupt, move it aside and start a new one.

        Returns ``(store, notice)``; ``notice`` is None when nothing happened,
        else a message for the user naming where the damaged file was moved
        (``<name>.corrupt-<timestamp>``; nothing is deleted). Other errors,
        such as a file from a newer app version, are raised unchanged.
        """
        try:
            return cls(path, busy_timeout=busy_timeout, scope=scope), None
        except CorruptDatabaseError as exc:
            moved = _move_aside(exc.path)
        store = cls(path, busy_timeout=busy_timeout, scope=scope)
        notice = (
            f"The progress database {store.path} was damaged and could not be read. "
            f"It was moved to {moved} (nothing was deleted) and a new, empty "
            f"progress database was started."
        )
        return store, notice

    # ---- connections --------------------------------------------------

    @contextlib.contextmanager
    def _connect(self, *, create: bool = False) -> Iterator[sqlite3.Connection]:
        """A fresh connection (autocommit mode; closed on exit), errors translated."""
        uri = f"{self.path.as_uri()}?mode={'rwc' if create else 'rw'}"
        try:
            conn = sqlite3.connect(uri, uri=True, timeout=self.busy_timeout,
                                   isolation_level=None)
        except sqlite3.Error as exc:
            raise self._translate(exc) from exc
        try:
            try:
                conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
                conn.execute("PRAGMA foreign_keys = ON")
                conn.execute("PRAGMA synchronous = FULL")
            except sqlite3.Error as exc:
                raise self._translate(exc) from exc
            yield conn
        finally:
            conn.close()

    @contextlib.contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        """A connection for queries; any sqlite3 error becomes ProgressStoreError."""
        with self._connect() as conn:
            try:
                yield conn
            except sqlite3.Error as exc:
                raise self._translate(exc) from exc

    def _translate(self, exc: sqlite3.Error) -> ProgressStoreError:
        code = _error_code(exc)
        if code in (_SQLITE_NOTADB, _SQLITE_CORRUPT) or "malformed" in str(exc).lower():
            return self._corrupt(str(exc))
        if _is_busy(exc):
            return ProgressStoreError(
                f"The progress database {self.path} is busy: another program has kept it "
                f"locked for more than {self.busy_timeout:g} s. Please try again."
            )
        if code == _SQLITE_CANTOPEN:
            return ProgressStoreError(
                f"Cannot open the progress database {self.path} ({exc}). Check that the "
                f"file exists and the folder is writable, or set {DATA_DIR_ENV}."
            )
        return ProgressStoreError(f"Progress database {self.path}: {exc}")

    def _corrupt(self, detail: str) -> CorruptDatabaseError:
        return CorruptDatabaseError(
            f"The progress file {self.path} is not a readable SQLite database "
            f"(it may be damaged, or it is some other kind of file): {detail}. "
            f"It was left untouched. To start a new progress database, rename it "
            f"(for example to {self.path.name}.corrupt; the web app does this by itself "
            f"at start), or point {DATA_DIR_ENV} at another folder.",
            self.path,
        )

    # ---- schema -------------------------------------------------------

    def _open_schema(self) -> None:
        """Check the file, refuse newer/corrupt ones, migrate older ones."""
        with self._connect(create=True) as conn:
            try:
                version = int(conn.execute("PRAGMA user_version").fetchone()[0])
                self._check_version(version)
                if version == 0:
                    foreign = conn.execute(
                        "SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
                    ).fetchall()
                    if foreign:
                        raise ProgressStoreError(
                            f"{self.path} is a SQLite database of some other program "
                            f"(tables: {', '.join(r[0] for r in foreign[:5])}), not an "
                            f"ai-interview-coach progress file. It was left untouched; "
                            f"choose another path or set {DATA_DIR_ENV}."
                        )
                check = conn.execute("PRAGMA quick_check").fetchall()
                if check != [("ok",)]:
                    raise self._corrupt("; ".join(str(r[0]) for r in check[:3]))
                conn.execute("PRAGMA journal_mode = WAL")
                if version < SCHEMA_VERSION:
                    with _write_transaction(conn):
                        # Re-read under the write lock: another process may have migrated.
                        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
                        self._check_version(version)
                        for migration in MIGRATIONS:
                            if migration.version > version:
                                migration.apply(conn)
                                conn.execute(f"PRAGMA user_version = {migration.version}")
            except sqlite3.Error as exc:
                raise self._translate(exc) from exc

    def _check_version(self, version: int) -> None:
        if version > SCHEMA_VERSION:
            raise NewerSchemaError(
                f"The progress database {self.path} was written by a newer version of "
                f"{APP_NAME} (schema version {version}; this version understands up to "
                f"{SCHEMA_VERSION}). It was left untouched. Please upgrade {APP_NAME}, "
                f"or set {DATA_DIR_ENV} to use a different folder.",
                self.path, version, SCHEMA_VERSION,
            )

    def schema_version(self) -> int:
        """The ``user_version`` of the file (== :data:`SCHEMA_VERSION` once open)."""
        with self._reading() as conn:
            return int(conn.execute("PRAGMA user_version").fetchone()[0])

    # ---- writing ------------------------------------------------------

    def record(self, attempt: Attempt) -> int:
        """Save ``attempt`` (and update its review state); return its id.

        Committed before returning. Sets ``attempt.id``. Recording the same
        ``uuid`` twice returns the existing id without adding a row. If the
        database stays locked past the busy timeout, or fails (disk I/O error,
        read-only file), the attempt is appended to the pending journal and
        :class:`AttemptJournaled` is raised; only when the journal cannot be
        written either is it :class:`ProgressStoreError` (NOT saved).
        """
        if not attempt.collection and self.scope is not None:
            attempt.collection = self.scope.key
        row = _attempt_row(attempt)
        failure: ProgressStoreError | None = None
        # Older pending attempts go in first; if the database is still locked,
        # queue this one behind them instead of waiting a second time.
        try:
            still_busy = self._journal_has_entries() and self._replay_journal(quiet=True) is None
        except ProgressStoreError as exc:
            still_busy, failure = True, exc
        if not still_busy:
            try:
                with self._connect() as conn, _write_transaction(conn):
                    attempt_id, _ = _insert_attempt(conn, row)
            except sqlite3.Error as exc:
                if not _is_busy(exc):
                    failure = self._translate(exc)
            else:
                attempt.id = attempt_id
                return attempt_id
        if failure is not None:
            try:
                self._append_journal(row)
            except ProgressStoreError:
                raise ProgressStoreError(
                    f"{failure} The attempt could not be saved to {self.journal_path} either; it was NOT saved."
                ) from failure
            raise AttemptJournaled(
                f"The progress database {self.path} could not be written ({failure}). Your attempt was not "
                f"lost: it was saved to {self.journal_path} and will be added to your progress once the "
                f"database works again.",
                self.journal_path, str(row["uuid"]),
            ) from failure
        self._append_journal(row)
        raise AttemptJournaled(
            f"The progress database {self.path} is busy (another program kept it "
            f"locked for more than {self.busy_timeout:g} s). Your attempt was not "
            f"lost: it was saved to {self.journal_path} and will be added to your "
            f"progress automatically next time.",
            self.journal_path, str(row["uuid"]),
        )

    def _journal_has_entries(self) -> bool:
        try:
            return self.journal_path.stat().st_size > 0
        except OSError:
            return False

    def _append_journal(self, row: Mapping[str, object]) -> None:
        """Append one attempt to the pending journal, durably (fsync)."""
        entry = dict(row, v=_JOURNAL_FORMAT)
        line = json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n"
        created = not self.journal_path.exists()
        try:
            with self._journal_lock, open(self.journal_path, "a", encoding="utf-8") as fh:
                with _file_lock(fh):
                    fh.write(line)
                    fh.flush()
                    os.fsync(fh.fileno())
        except OSError as exc:
            raise ProgressStoreError(
                f"The progress database {self.path} is busy and the attempt could not be "
                f"saved to {self.journal_path} either ({exc}); it was NOT saved."
            ) from exc
        if created:
            fsync_dir(self.journal_path.parent)

    def pending_attempts(self, profile: str) -> int:
        """How many answers and notes of ``profile`` wait in the pending journal (written there while the
        database was locked; replayed when it is free). 0 when there is none or it cannot be read."""
        try:
            text = self.journal_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return 0
        rows, _ = _parse_journal(text)
        return sum(1 for row in rows if row["profile"] == profile and row["kind"] != "skip")

    def replay_journal(self) -> int:
        """Add pending journal attempts to the database; return how many were new.

        Idempotent (attempts are matched by uuid). Unreadable lines (e.g. one
        torn by a crash mid-write) are moved to ``<db>.pending.rejected.jsonl``.
        Raises :class:`ProgressStoreError` if the database is still busy.
        """
        return self._replay_journal(quiet=False) or 0

    def _replay_journal(self, *, quiet: bool) -> int | None:
        """Replay the journal; with ``quiet``, None means "database still busy"."""
        if not self._journal_has_entries():
            return 0
        try:
            with self._journal_lock, open(self.journal_path, "r+", encoding="utf-8",
                                          errors="replace") as fh:
                with _file_lock(fh):
                    rows, rejected = _parse_journal(fh.read())
                    added = 0
                    if rows:
                        with self._connect() as conn, _write_transaction(conn):
                            for row in rows:
                                added += _insert_attempt(conn, row)[1]
                    if rejected:
                        with open(self.rejected_path, "a", encoding="utf-8") as bad:
                            bad.writelines(line + "\n" for line in rejected)
                            bad.flush()
                            os.fsync(bad.fileno())
                    fh.seek(0)
                    fh.truncate()
                    fh.flush()
                    os.fsync(fh.fileno())
                    return added
        except FileNotFoundError:
            return 0
        except sqlite3.Error as exc:
            if quiet and _is_busy(exc):
                return None  # still locked: keep the journal for next time
            raise self._translate(exc) from exc
        except OSError as exc:
            if quiet:
                return 0
            raise ProgressStoreError(
                f"Cannot read the pending journal {self.journal_path}: {exc}"
            ) from exc

    # ---- queries ------------------------------------------------------

    def _in_scope(self) -> tuple[str, tuple[object, ...]]:
        """SQL condition on ``attempts`` rows for the store's collection, and its parameters."""
        scope = self.scope
        if scope is None:
            return "1", ()
        return ("(collection = ? OR (? AND collection = '') "
                "OR question_id IN (SELECT value FROM json_each(?)))",
                (scope.key, int(scope.includes_unkeyed), scope.ids_json))

    def _states_in_scope(self, profile: str) -> tuple[str, tuple[object, ...]]:
        """SQL condition on ``review_states`` rows of ``profile``: questions with an attempt in scope."""
        if self.scope is None:
            return "1", ()
        where, params = self._in_scope()
        return (f"question_id IN (SELECT question_id FROM attempts WHERE profile = ? "
                f"AND {where})", (profile, *params))

    def history(self, profile: str, question_id: str) -> list[Attempt]:
        """All attempts of ``profile`` at one question, oldest first."""
        profile = normalize_profile(profile)
        with self._reading() as conn:
            rows = conn.execute(
                f"SELECT {_ATTEMPT_COLUMNS} FROM attempts WHERE profile = ? AND question_id = ? "
                "ORDER BY created_at, id",
                (profile, question_id),
            ).fetchall()
        return [_attempt_from_row(r) for r in rows]

    def attempts(self, profile: str, limit: int | None = None) -> list[Attempt]:
        """Attempts of ``profile``, newest first; ``limit`` keeps the most recent."""
        profile = normalize_profile(profile)
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)
                                  or limit < 0):
            raise ProgressStoreError(f"limit must be a non-negative integer, not {limit!r}.")
        where, params = self._in_scope()
        with self._reading() as conn:
            rows = conn.execute(
                f"SELECT {_ATTEMPT_COLUMNS} FROM attempts WHERE profile = ? AND {where} "
                "ORDER BY created_at DESC, id DESC LIMIT ?",
                (profile, *params, -1 if limit is None else limit),
            ).fetchall()
        return [_attempt_from_row(r) for r in rows]

    def profiles(self) -> list[str]:
        """Every profile with at least one attempt, alphabetically."""
        with self._reading() as conn:
            rows = conn.execute(
                "SELECT DISTINCT profile FROM attempts ORDER BY profile"
            ).fetchall()
        return [r[0] for r in rows]

    def review_states(self, profile: str) -> dict[str, ReviewState]:
        """Review state of every scheduled question of ``profile``, by question id."""
        profile = normalize_profile(profile)
        where, params = self._states_in_scope(profile)
        with self._reading() as conn:
            rows = conn.execute(
                f"SELECT question_id, {_STATE_COLUMNS} FROM review_states WHERE profile = ? "
                f"AND {where}",
                (profile, *params),
            ).fetchall()
        return {r[0]: _state_from_row(r[1:]) for r in rows}

    def due(self, profile: str, now: float,
            question_ids: Iterable[str] | None = None) -> list[str]:
        """Scheduled questions due at ``now``, most overdue first.

        Questions never answered or skipped are not scheduled and so never
        "due" -- the caller treats them as new. ``question_ids`` restricts
        the result (e.g. to the sections being practised).
        """
        profile = normalize_profile(profile)
        wanted = None if question_ids is None else set(question_ids)
        where, params = self._states_in_scope(profile)
        with self._reading() as conn:
            rows = conn.execute(
                f"SELECT question_id FROM review_states WHERE profile = ? AND due_at <= ? "
                f"AND {where} ORDER BY due_at, question_id",
                (profile, float(now), *params),
            ).fetchall()
        return [r[0] for r in rows if wanted is None or r[0] in wanted]

    def mastery(self, profile: str,
                question_ids: Iterable[str] | None = None) -> dict[str, float]:
        """Mastery (0–100) of every scored question of ``profile``.

        The exponentially weighted mean of its scored answers and follow-ups
        (see the module docstring); skips, notes and answers given after
        seeing the reference do not count.
        """
        return {qid: m for qid, (m, _n) in self._mastery_table(profile, question_ids).items()}

    def _mastery_table(self, profile: str, question_ids: Iterable[str] | None
                       ) -> dict[str, tuple[float, int]]:
        profile = normalize_profile(profile)
        wanted = None if question_ids is None else set(question_ids)
        scores: dict[str, list[float]] = {}
        where, params = self._in_scope()
        with self._reading() as conn:
            for qid, score in conn.execute(
                f"SELECT question_id, score FROM attempts WHERE profile = ? AND {_MASTERY_WHERE} "
                f"AND {where} ORDER BY created_at, id",
                (profile, *params),
            ):
                if wanted is None or qid in wanted:
                    scores.setdefault(qid, []).append(float(score))
        return {qid: (_mastery_of(s) or 0.0, len(s)) for qid, s in scores.items()}

    def weakest(self, profile: str, n: int,
                question_ids: Iterable[str] | None = None) -> list[tuple[str, float]]:
        """The ``n`` scored questions with the lowest mastery, weakest first.

        Ties go to the question with fewer scored attempts, then by id.
        """
        table = self._mastery_table(profile, question_ids)
        if n <= 0:
            return []
        ranked = sorted(table.items(), key=lambda item: (item[1][0], item[1][1], item[0]))
        return [(qid, mastery) for qid, (mastery, _count) in ranked[:n]]

    def needs_work(self, profile: str, n: int,
                   question_ids: Iterable[str] | None = None) -> list[tuple[str, float]]:
        """Like :meth:`weakest`, but only questions with mastery below :data:`NEEDS_WORK_BELOW`."""
        return [(qid, m) for qid, m in self.weakest(profile, n, question_ids) if m < NEEDS_WORK_BELOW]

    def section_mastery(self, profile: str) -> list[SectionMastery]:
        """Per-section numbers from scored attempts, weakest section first.

        A question belongs to the section named by its latest scored attempt;
        ``mastery`` is the mean of its questions' masteries. Answers given
        after seeing the reference are left out.
        """
        profile = normalize_profile(profile)
        per_question: dict[str, tuple[str, list[float]]] = {}
        where, params = self._in_scope()
        with self._reading() as conn:
            for qid, section, score in conn.execute(
                f"SELECT question_id, section, score FROM attempts WHERE profile = ? "
                f"AND {_MASTERY_WHERE} AND {where} ORDER BY created_at, id",
                (profile, *params),
            ):
                scores = per_question.get(qid, ("", []))[1]
                scores.append(float(score))
                per_question[qid] = (section, scores)
        grouped: dict[str, list[list[float]]] = {}
        for section, scores in per_question.values():
            grouped.setdefault(section, []).append(scores)
        result = []
        for section, questions in grouped.items():
            every = [s for scores in questions for s in scores]
            masteries = [_mastery_of(scores) or 0.0 for scores in questions]
            result.append(SectionMastery(
                section=section,
                attempted_questions=len(questions),
                attempts=len(every),
                mean_score=sum(every) / len(every),
                mastery=sum(masteries) / len(masteries),
            ))
        result.sort(key=lambda s: (s.mastery, s.section))
        return result

    def answered_sections(self, profile: str) -> set[str]:
        """Sections in which ``profile`` has answered anything: an answer, a follow-up or a note.

        Unlike :meth:`section_mastery` this includes answers that do not count
        toward mastery (given after seeing the reference, follow-ups on one
        point, notes): such a section has been practised, its answers were
        just not counted. Skips are not answers.
        """
        profile = normalize_profile(profile)
        where, params = self._in_scope()
        with self._reading() as conn:
            rows = conn.execute(
                f"SELECT DISTINCT section FROM attempts WHERE profile = ? "
                f"AND kind IN ('answer', 'followup', 'note') AND {where}",
                (profile, *params),
            ).fetchall()
        return {section for (section,) in rows}

    def stats(self, profile: str, now: float | None = None) -> ProgressStats:
        """Headline numbers for ``profile`` (``due_now`` counted at ``now``).

        ``mean_score`` leaves out answers given after seeing the reference
        (``reference_seen`` counts them) and follow-ups on one key point;
        ``scored_attempts`` and ``questions_attempted`` include both.
        """
        profile = normalize_profile(profile)
        now = time.time() if now is None else float(now)
        where, params = self._in_scope()
        states_where, states_params = self._states_in_scope(profile)
        with self._reading() as conn:
            (total, scored, skips, notes, questions, sessions, mean, first, last,
             seen) = conn.execute(
                f"""
                SELECT COUNT(*),
                       COUNT(CASE WHEN kind IN ('answer','followup') AND score IS NOT NULL
                                  THEN 1 END),
                       COUNT(CASE WHEN kind = 'skip' THEN 1 END),
                       COUNT(CASE WHEN kind = 'note' THEN 1 END),
                       COUNT(DISTINCT CASE WHEN kind IN ('answer','followup')
                                           AND score IS NOT NULL THEN question_id END),
                       COUNT(DISTINCT NULLIF(session_id, '')),
                       AVG(CASE WHEN {_MASTERY_WHERE} THEN score END),
                       MIN(created_at), MAX(created_at),
                       COUNT(CASE WHEN kind IN ('answer','followup') AND score IS NOT NULL
                                  AND reference_shown = 1 THEN 1 END)
                FROM attempts WHERE profile = ? AND {where}
                """,
                (profile, *params),
            ).fetchone()
            scheduled, due_now = conn.execute(
                "SELECT COUNT(*), COUNT(CASE WHEN due_at <= ? THEN 1 END) "
                f"FROM review_states WHERE profile = ? AND {states_where}",
                (now, profile, *states_params),
            ).fetchone()
        masteries = list(self.mastery(profile).values())
        return ProgressStats(
            profile=profile, attempts=total, scored_attempts=scored, skips=skips,
            notes=notes, questions_attempted=questions, questions_scheduled=scheduled,
            due_now=due_now, sessions=sessions, mean_score=mean,
            mean_mastery=sum(masteries) / len(masteries) if masteries else None,
            first_at=first, last_at=last, reference_seen=seen,
        )

    # ---- export -------------------------------------------------------

    def export_csv(self, profile: str, path: str | os.PathLike[str], *,
                   titles: Mapping[str, str] | None = None) -> Path:
        """Write every attempt of ``profile`` (oldest first) as CSV; return the path.

        UTF-8 with BOM (opens correctly in Excel), RFC 4180 quoting, so any
        text round-trips. Text cells starting with ``=``, ``@``, a tab/CR, or
        ``+``/``-`` followed by a non-space get a leading ``'`` so spreadsheets
        do not run them as formulas. ``reference_shown`` is 1 for an answer
        given after seeing the reference, else 0. ``collection`` is the key of
        the collection answered in ('' before schema v4); ``focus`` the key term
        of a follow-up on one point ('' otherwise). A scoped store
        exports its collection's attempts only (see the module docstring).
        ``titles`` (question id → title as asked now, with its parent questions)
        names the questions still in the collection, also in attempts recorded
        before their titles carried the parents; other rows keep their own.
        """
        rows = list(reversed(self.attempts(profile)))
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(["id", "uuid", "created_at", "created_at_epoch", "profile",
                         "session_id", "kind", "section", "question_id", "question_title",
                         "score", "band", "components", "answer", "reference_shown",
                         "collection", "focus"])
        for a in rows:
            writer.writerow([
                a.id, a.uuid, _iso(a.created_at), repr(a.created_at), _cell(a.profile),
                _cell(a.session_id), a.kind, _cell(a.section), _cell(a.question_id),
                _cell(_title_of(a, titles, "")), "" if a.score is None else f"{a.score:g}",
                _cell(a.band or ""), json.dumps(a.components, ensure_ascii=False,
                                                sort_keys=True),
                _cell(a.answer), int(a.reference_shown), _cell(a.collection), _cell(a.focus),
            ])
        return _write_atomic(Path(path), buffer.getvalue(), encoding="utf-8-sig")

    def export_markdown(self, profile: str, path: str | os.PathLike[str], *,
                        now: float | None = None, top: int = 10,
                        recent: int = 20,
                        titles: Mapping[str, str] | None = None) -> Path:
        """Write a Markdown gap report for ``profile``; return the path.

        Sections: summary, per-section mastery, weakest questions (only those
        below :data:`NEEDS_WORK_BELOW`), questions due for review, recent
        history. All user text is escaped (table pipes, HTML, Markdown syntax)
        or put in a fence longer than any backtick run inside it. ``titles`` as
        in :meth:`export_csv`.
        """
        profile = normalize_profile(profile)
        now = time.time() if now is None else float(now)
        stats = self.stats(profile, now)
        sections = self.section_mastery(profile)
        weakest = self.needs_work(profile, top)
        due = self.due(profile, now)
        states = self.review_states(profile)
        history = self.attempts(profile)
        latest: dict[str, Attempt] = {}
        counts: dict[str, int] = {}
        for a in history:  # newest first
            latest.setdefault(a.question_id, a)
            if a.counts_toward_mastery:
                counts[a.question_id] = counts.get(a.question_id, 0) + 1

        def title(qid: str) -> str:
            a = latest.get(qid)
            return _md(_title_of(a, titles)) if a else _md((titles or {}).get(qid) or qid)

        def section(qid: str) -> str:
            a = latest.get(qid)
            return _md(a.section) if a else ""

        out = [f"# 练习报告 Progress report — {_md(profile)}", "",
               f"Generated {_iso(now)}.", "", "## 概览 Summary", ""]
        out += [
            f"- Attempts: {stats.attempts} ({stats.scored_attempts} scored, "
            f"{stats.skips} skipped, {plural(stats.notes, 'note')})",
            *([f"- 看过参考答案后作答 / answered after seeing the reference: "
               f"{stats.reference_seen} (not counted in mastery or mean score)"]
              if stats.reference_seen else []),
            f"- Questions practised: {stats.questions_attempted}; "
            f"due now: {stats.due_now} of {stats.questions_scheduled} scheduled",
            f"- Mean score: {_num(stats.mean_score)}; mean mastery: "
            f"{_num(stats.mean_mastery)}",
            f"- Sessions: {stats.sessions}",
            "",
            "## 各部分掌握度 Section mastery",
            "",
        ]
        if sections:
            out += ["| Section | Questions | Attempts | Mean score | Mastery |",
                    "| --- | ---: | ---: | ---: | ---: |"]
            out += [f"| {_md(s.section) or '—'} | {s.attempted_questions} | {s.attempts} | "
                    f"{_num(s.mean_score)} | {_num(s.mastery)} |" for s in sections]
        else:
            out.append("_No scored answers yet._")
        out += ["", "## 薄弱题目 Weakest questions", ""]
        if weakest:
            out += [f"_掌握度低于 {NEEDS_WORK_BELOW:g} 的题目 / mastery below "
                    f"{NEEDS_WORK_BELOW:g}._", ""]
            out += ["| # | Question | Section | Mastery | Counted attempts |",
                    "| ---: | --- | --- | ---: | ---: |"]
            out += [f"| {i} | {title(qid)} | {section(qid)} | {_num(m)} | "
                    f"{counts.get(qid, 0)} |" for i, (qid, m) in enumerate(weakest, 1)]
        elif sections:
            out.append(f"_{NOTHING_NEEDS_WORK}_")
        else:
            out.append("_No scored answers yet._")
        out += ["", "## 待复习 Due for review", ""]
        if due:
            out += ["| Question | Section | Due since | Last score |",
                    "| --- | --- | --- | ---: |"]
            out += [f"| {title(qid)} | {section(qid)} | {_iso(states[qid].due_at)} | "
                    f"{_num(states[qid].last_score)} |" for qid in due]
        else:
            out.append("_Nothing is due._")
        out += ["", "## 最近记录 Recent history", ""]
        if not history:
            out.append("_No attempts yet._")
        for a in history[:max(0, recent)]:
            score = "" if a.score is None else f", score {_num(a.score)}"
            band = f" ({_md(a.band)})" if a.band else ""
            seen = (", 看过参考答案 / after seeing the reference, not counted"
                    if a.reference_shown else "")
            if a.focus:
                seen += f", 追问「{_md(a.focus)}」/ follow-up on one point, not counted"
            out += [f"### {_iso(a.created_at)} — {_md(_title_of(a, titles))}",
                    "", f"_{a.kind}{score}{band}{seen}_ · {_md(a.section)}", ""]
            if a.answer.strip():
                out += [_fenced(_truncate(a.answer, 1200)), ""]
        return _write_atomic(Path(path), "\n".join(out).rstrip() + "\n", encoding="utf-8")


# --------------------------------------------------------------------------
# Helpers for journal, files and export text


def _title_of(attempt: Attempt, titles: Mapping[str, str] | None, untitled: str | None = None) -> str:
    """An attempt's question as exported: its title in ``titles`` (as asked now), else the one recorded,
    else ``untitled`` (the question id when None)."""
    recorded = (titles or {}).get(attempt.question_id) or attempt.question_title
    return recorded or (attempt.question_id if untitled is None else untitled)


def _parse_journal(text: str) -> tuple[list[dict[str, object]], list[str]]:
    """Journal text → (valid attempt rows, rejected raw lines).

    A line whose format ``v`` is newer than :data:`_JOURNAL_FORMAT` (written by a
    later version of the app) or not an integer is rejected rather than read as
    the current format: its fields may mean something else. The line is kept
    as written, so a newer version can still replay it. A line without ``v``
    counts as the current format.
    """
    rows: list[dict[str, object]] = []
    rejected: list[str] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            version = entry.get("v", _JOURNAL_FORMAT)
            if isinstance(version, bool) or not isinstance(version, int) or version > _JOURNAL_FORMAT:
                rejected.append(line)
                continue
            components = entry.get("components", "{}")
            attempt = Attempt(
                id=None, profile=entry["profile"], question_id=entry["question_id"],
                section=entry.get("section", ""),
                question_title=entry.get("question_title", ""),
                answer=entry.get("answer", ""), score=entry.get("score"),
                band=entry.get("band"),
                components=json.loads(components) if isinstance(components, str)
                else components,
                kind=entry.get("kind", "answer"), session_id=entry.get("session_id", ""),
                created_at=entry["created_at"], uuid=entry["uuid"],
                reference_shown=bool(entry.get("reference_shown", False)),
                collection=entry.get("collection", ""),
                focus=entry.get("focus", "") or "",
            )
            rows.append(_attempt_row(attempt))
        except (ValueError, KeyError, TypeError, AttributeError, ProgressStoreError):
            rejected.append(line)
    return rows, rejected


def _move_aside(path: Path) -> Path:
    """Rename ``path`` (and its -wal/-shm files) to ``<name>.corrupt-<timestamp>``."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while target.exists():
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
        n += 1
    os.rename(path, target)
    for suffix in ("-wal", "-shm", "-journal"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            os.rename(side, target.with_name(target.name + suffix))
    fsync_dir(path.parent)
    return target


def _write_atomic(path: Path, text: str, *, encoding: str) -> Path:
    """Write ``text`` to ``path`` via a temporary file and an atomic rename."""
    path = Path(os.path.abspath(path.expanduser()))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid4().hex}.tmp")
    try:
        with open(tmp, "w", encoding=encoding, newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return path


def plural(n: int, noun: str) -> str:
    """``1 question``, ``2 questions``: an English count with the right plural."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts).astimezone().isoformat(timespec="seconds")


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def _cell(text: str) -> str:
    """Neutralise spreadsheet formulas at the start of a CSV text cell."""
    if text and (text[0] in "=@\t\r" or
                 (text[0] in "+-" and len(text) > 1 and not text[1].isspace())):
        return "'" + text
    return text


_MD_ESCAPE = re.compile(r"([\\`*_\[\]|~])")
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029\x85]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


_HTML_START = re.compile(r"&(?=#?\w+;)|[<>]")


def _md(text: str) -> str:
    """Escape text for one line of Markdown (table cell, heading, list item).

    Only what a renderer would read as HTML becomes an entity (a tag, or "&" starting an entity): the report
    is also read as plain text, where "RNN&amp;LSTM" would be noise.

    >>> print(_md("RNN&LSTM <b>x</b> &amp; a|b"))
    RNN&LSTM &lt;b&gt;x&lt;/b&gt; &amp;amp; a\\|b
    """
    text = _CONTROL.sub(" ", _LINE_BREAKS.sub(" ", text))
    text = _HTML_START.sub(lambda m: {"&": "&amp;", "<": "&lt;", ">": "&gt;"}[m.group(0)], text)
    return _MD_ESCAPE.sub(r"\\\1", text).strip()


def _fenced(text: str) -> str:
    """Put ``text`` in a code fence longer than any backtick run inside it."""
    text = _CONTROL.sub(" ", text.replace("\r\n", "\n").replace("\r", "\n"))
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text.rstrip()}\n{fence}"


def _truncate(text: str, limit: int) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[:limit].rstrip() + " …"
