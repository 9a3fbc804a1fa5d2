-- The retention pass of db/event-episodes.ts deletes keys resolved longer ago than the retention, a bounded batch at a
-- time: this index finds them without reading the open keys or scanning the table.
CREATE INDEX event_episodes_resolved ON event_episodes (changed_at) WHERE NOT open;
