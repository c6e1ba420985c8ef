-- 0016: what a server chose below the operator's money caps. Amounts are millionths of the operator's
-- PRICE_CURRENCY, as in the ledger; NULL keeps the operator's cap. The server's own day and month
-- budgets, and the budget of each member who holds no allowance role (the default person budget).
ALTER TABLE guild_settings ADD COLUMN budget_server_day INTEGER CHECK (budget_server_day >= 0);
ALTER TABLE guild_settings ADD COLUMN budget_server_month INTEGER CHECK (budget_server_month >= 0);
ALTER TABLE guild_settings ADD COLUMN budget_person_day INTEGER CHECK (budget_person_day >= 0);
ALTER TABLE guild_settings ADD COLUMN budget_person_month INTEGER CHECK (budget_person_month >= 0);

-- Allowances per role: each holder of the role may spend this much per day / month in the server (a
-- member with several gets the highest; never more than the operator's person caps). NULL for a
-- period keeps the operator's person cap for it.
CREATE TABLE role_allowances (
    guild_id    INTEGER NOT NULL,
    role_id     INTEGER NOT NULL,
    day         INTEGER CHECK (day >= 0),
    month       INTEGER CHECK (month >= 0),
    updated_at  TEXT    NOT NULL,
    PRIMARY KEY (guild_id, role_id)
) WITHOUT ROWID;
