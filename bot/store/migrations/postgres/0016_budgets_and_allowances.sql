-- 0016: a server's budgets below the operator's money caps and its allowances per role (see
-- sqlite/0016_budgets_and_allowances.sql). Amounts are millionths of PRICE_CURRENCY; NULL keeps the cap.
ALTER TABLE guild_settings ADD COLUMN budget_server_day BIGINT CHECK (budget_server_day >= 0);
ALTER TABLE guild_settings ADD COLUMN budget_server_month BIGINT CHECK (budget_server_month >= 0);
ALTER TABLE guild_settings ADD COLUMN budget_person_day BIGINT CHECK (budget_person_day >= 0);
ALTER TABLE guild_settings ADD COLUMN budget_person_month BIGINT CHECK (budget_person_month >= 0);

CREATE TABLE role_allowances (
    guild_id    BIGINT  NOT NULL,
    role_id     BIGINT  NOT NULL,
    day         BIGINT  CHECK (day >= 0),
    month       BIGINT  CHECK (month >= 0),
    updated_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (guild_id, role_id)
);
