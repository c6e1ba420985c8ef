"""What jobs cost in money and how spend is bounded: the price table, the ledger's budgets, reports.

Knows nothing of Discord. Amounts are ``Money``: integer millionths of the operator's currency, so
sums are exact and the ledger stores them as plain integers. A server's own budgets and allowances
per role only lower the operator's caps (``effective_budgets``).
"""

from bot.budget.alerts import BudgetAlert, BudgetAlerts
from bot.budget.allowances import (
    MAX_ROLE_ALLOWANCES,
    AllowanceStore,
    ServerBudget,
    budgets_for,
    effective_budgets,
    with_budget,
)
from bot.budget.amounts import AboveOperatorBudget, parse_amount
from bot.budget.budgets import Budgets, Period, Scope, lower, operator_budgets
from bot.budget.offers import Offer, Room, best_fit
from bot.budget.prices import FREE, Money, PriceTable, format_amount, format_money, to_money
from bot.budget.spend_chart import ChartText, draw_spend_chart
from bot.budget.usage_report import (
    DAYS_SHOWN,
    BudgetLeft,
    RoleSpend,
    UsageReport,
    UsageReports,
    top_roles,
)

__all__ = [
    "DAYS_SHOWN",
    "FREE",
    "MAX_ROLE_ALLOWANCES",
    "AboveOperatorBudget",
    "AllowanceStore",
    "BudgetAlert",
    "BudgetAlerts",
    "BudgetLeft",
    "Budgets",
    "ChartText",
    "Money",
    "Offer",
    "Period",
    "PriceTable",
    "RoleSpend",
    "Room",
    "Scope",
    "ServerBudget",
    "UsageReport",
    "UsageReports",
    "best_fit",
    "budgets_for",
    "draw_spend_chart",
    "effective_budgets",
    "format_amount",
    "format_money",
    "lower",
    "operator_budgets",
    "parse_amount",
    "to_money",
    "top_roles",
    "with_budget",
]
