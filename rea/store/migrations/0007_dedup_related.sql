-- Records of different items about one article: a notice (erratum, retraction, expression of
-- concern) or a reply, and the article it is about. Deduplication keeps them in separate works
-- and lists them here so that `rea dedup explain` shows them together (rebuilt by every run).
CREATE TABLE dedup_related (
    record_a  INTEGER NOT NULL REFERENCES records (record_id),
    record_b  INTEGER NOT NULL REFERENCES records (record_id),
    relation  TEXT NOT NULL,              -- e.g. 'article vs erratum' (record_a's kind first)
    PRIMARY KEY (record_a, record_b),
    CHECK (record_a < record_b)
);
CREATE INDEX dedup_related_b ON dedup_related (record_b);
