-- 0014: when the provider last answered a submit of a job with "no account instance" (code 3); such a
-- waiting job goes behind every other one (see sqlite/0014_capacity_refusals.sql).
ALTER TABLE jobs ADD COLUMN capacity_refused_at TIMESTAMPTZ;
