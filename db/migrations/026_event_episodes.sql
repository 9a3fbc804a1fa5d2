-- Events API v2 dedup_key episodes (db/event-episodes.ts). PagerDuty lets a sender use a dedup_key again once it has
-- resolved it: the next trigger opens a new incident. A trigger's and a resolve's delivery ids name the key's episode,
-- so a retried event stays one alert while the key's next trigger and resolve are new ones.
CREATE TABLE event_episodes (
  company_id text NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
  dedup_key  text NOT NULL,
  -- 1 for the key's first trigger; each trigger that finds the key resolved moves it on by one.
  episode    integer NOT NULL CHECK (episode >= 1),
  -- A trigger opened the episode and no resolve has closed it yet.
  open       boolean NOT NULL,
  changed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (company_id, dedup_key)
);

-- Keys used before episodes were counted are in episode 1, whose delivery ids (events_v2:<key>:trigger / :resolve,
-- hashed past 200 characters) are the ones stored; resolved when their resolve is stored, so the key's next trigger
-- is a new alert rather than a duplicate of the first.
INSERT INTO event_episodes (company_id, dedup_key, episode, open)
SELECT a.company_id, a.source_key, 1 AS episode,
  NOT bool_or(a.delivery_id IN (l.resolve, 'sha256:' || encode(sha256(convert_to(l.resolve, 'UTF8')), 'hex'))) AS open
FROM alerts a
CROSS JOIN LATERAL (
  SELECT 'events_v2:' || a.source_key || ':trigger' AS trigger, 'events_v2:' || a.source_key || ':resolve' AS resolve
) l
WHERE a.receiver = 'events_v2' AND a.source_key IS NOT NULL
  AND a.delivery_id IN (l.trigger, l.resolve, 'sha256:' || encode(sha256(convert_to(l.trigger, 'UTF8')), 'hex'),
                        'sha256:' || encode(sha256(convert_to(l.resolve, 'UTF8')), 'hex'))
GROUP BY a.company_id, a.source_key;
