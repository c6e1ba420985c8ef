"""What jobs cost in money and how spend is bounded: the price table, the ledger's budgets, reports.

Knows nothing of Discord. Amounts are ``Money``: integer millionths of the operator's currency, so
sums are exact and the ledger stores them as plain integers.
"""

from bot.budget.budgets import Budgets, Period, Scope, lower, operator_budgets
from bot.budget.prices import Money, PriceTable, format_amount, format_money, to_money
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
    "BudgetLeft",
    "Budgets",
    "ChartText",
    "Money",
    "Period",
    "PriceTable",
    "RoleSpend",
    "Scope",
    "UsageReport",
    "UsageReports",
    "draw_spend_chart",
    "format_amount",
    "format_money",
    "lower",
    "operator_budgets",
    "to_money",
    "top_roles",
]
