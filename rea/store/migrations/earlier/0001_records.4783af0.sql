-- Runs of the searches, imported files, and the records they gave (one row per source record).

CREATE TABLE runs (
    run_id       TEXT PRIMARY KEY,           -- e.g. 2026-11-24T101500Z
    started_at   TEXT NOT NULL,
    finished_at  TEXT,                        -- NULL while the run is incomplete
    rea_version  TEXT NOT NULL,
    path         TEXT NOT NULL                -- runs/<run-id>, relative to the review folder
);

CREATE TABLE imports (
    import_id    INTEGER PRIMARY KEY,
    path         TEXT NOT NULL,               -- where the imported copy is kept, relative to review
    original     TEXT NOT NULL,               -- the path the user gave
    sha256       TEXT NOT NULL,
    source       TEXT NOT NULL,
    stage        TEXT NOT NULL,
    format       TEXT NOT NULL,
    imported_at  TEXT NOT NULL,
    n_records    INTEGER NOT NULL
);
CREATE INDEX imports_sha256 ON imports (sha256);

CREATE TABLE records (
    record_id        INTEGER PRIMARY KEY,
    source           TEXT NOT NULL,
    source_kind      TEXT NOT NULL CHECK (source_kind IN ('database', 'other')),
    stage            TEXT NOT NULL,
    run_id           TEXT REFERENCES runs (run_id),
    import_id        INTEGER REFERENCES imports (import_id),
    snapshot         TEXT,
    snapshot_sha256  TEXT,
    position         INTEGER,
    source_id        TEXT NOT NULL DEFAULT '',
    pmid             TEXT NOT NULL DEFAULT '',
    doi              TEXT NOT NULL DEFAULT '',
    pmcid            TEXT NOT NULL DEFAULT '',
    eid              TEXT NOT NULL DEFAULT '',
    wos_ut           TEXT NOT NULL DEFAULT '',
    title            TEXT NOT NULL DEFAULT '',
    abstract_json    TEXT NOT NULL DEFAULT '[]',   -- [[label, text], ...]
    authors_json     TEXT NOT NULL DEFAULT '[]',   -- [[family, given], ...]
    journal          TEXT NOT NULL DEFAULT '',
    journal_abbrev   TEXT NOT NULL DEFAULT '',
    issn_json        TEXT NOT NULL DEFAULT '[]',
    year             INTEGER,
    epub_year        INTEGER,
    volume           TEXT NOT NULL DEFAULT '',
    issue            TEXT NOT NULL DEFAULT '',
    pages            TEXT NOT NULL DEFAULT '',
    language         TEXT NOT NULL DEFAULT '',
    pub_types_json   TEXT NOT NULL DEFAULT '[]',
    keywords_json    TEXT NOT NULL DEFAULT '[]',
    mesh_json        TEXT NOT NULL DEFAULT '[]',
    url              TEXT NOT NULL DEFAULT '',
    extra_json       TEXT NOT NULL DEFAULT '{}',
    CHECK (run_id IS NOT NULL OR import_id IS NOT NULL)
);
CREATE INDEX records_source_stage ON records (source, stage);
CREATE INDEX records_run ON records (run_id);
CREATE INDEX records_pmid ON records (pmid) WHERE pmid <> '';
CREATE INDEX records_doi ON records (doi) WHERE doi <> '';
