-- Who made a `dedup keep` / `dedup unmark` decision (`--reviewer`, default cli:$USER; the browser's reviewer),
-- next to when (created_at). Decisions made before this column have none.
ALTER TABLE dedup_decisions ADD COLUMN reviewer TEXT;
