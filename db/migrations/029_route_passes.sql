-- Routers no longer claim alerts by writing them (route_next_at as a lease, route_attempts per claim): a router holds
-- partitions of the companies with session advisory locks while its pass runs (router/routing/partitions.ts), so an
-- accepted alert is written at insert and then only when routing records an outcome. What a claim's write gave
-- besides exclusion, knowing that a router stopped in the middle of an alert's routing, is one row per pass: written
-- before the pass routes anything, deleted when it is done. A row found by the next holder of its partitions is a
-- pass that never finished; its alerts still unrouted count one unfinished attempt (claimedTooOften parks them).
-- The pass also carries its placements until they are written with the alert's outcome (routed, or not this time), so
-- a routed alert is written once more after its insert rather than once to place it and once to route it.
CREATE TABLE route_passes (
  id          text PRIMARY KEY,
  -- The routers' lock key (one per router scope; every production router shares one).
  lock_key    integer NOT NULL,
  partitions  integer[] NOT NULL,
  alert_ids   text[] NOT NULL,
  -- alert id → { groupId, why }: placed in this pass, written on the alert with its outcome.
  placements  jsonb NOT NULL DEFAULT '{}',
  started_at  timestamptz NOT NULL DEFAULT now()
);
-- No index: it holds one row per pass in flight (a few), read whole.
