-- Data permissions: teams, each user's team and data scope, and the round-robin turn of a
-- team's automatic assignment. Every existing user gets the scope `all`, so nothing changes
-- until an admin narrows someone.

CREATE TABLE teams (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    manager_id uuid REFERENCES users (id),
    -- Automatic assignment of new leads and customers created with this team_id.
    assignment_mode text NOT NULL DEFAULT 'none' CHECK (assignment_mode IN ('none', 'round_robin')),
    assignment_members uuid[] NOT NULL DEFAULT '{}',
    -- How many records the round robin has handed out; the next goes to members[turn % n].
    -- Kept here, taken under the row lock, so instances share one fair turn.
    assignment_turn bigint NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX teams_name_key ON teams (lower(name));
CREATE INDEX teams_created_at_id_idx ON teams (created_at, id);
CREATE INDEX teams_manager_id_idx ON teams (manager_id);

ALTER TABLE users
    ADD COLUMN team_id uuid REFERENCES teams (id),
    ADD COLUMN data_scope text NOT NULL DEFAULT 'all' CHECK (data_scope IN ('own', 'team', 'all'));
CREATE INDEX users_team_id_idx ON users (team_id);

-- A scoped list is `owner_id = me` (or my team's users) in creation order: these serve it
-- without sorting (the own-scoped page of bench/run.sh).
DROP INDEX customers_owner_id_idx;
CREATE INDEX customers_owner_created_idx ON customers (owner_id, created_at, id);
DROP INDEX leads_owner_id_idx;
CREATE INDEX leads_owner_created_idx ON leads (owner_id, created_at, id);
DROP INDEX opportunities_owner_id_idx;
CREATE INDEX opportunities_owner_created_idx ON opportunities (owner_id, created_at, id);
