"""What jobs cost in money and how spend is bounded: the price table, the ledger's budgets, reports.

Knows nothing of Discord. Amounts are ``Money``: integer millionths of the operator's currency, so
sums are exact and the ledger stores them as plain integers. A server's own budgets and allowances
per role only lower the operator's caps (``effective_budgets``).
"""

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
from bot.budget.prices import FREE, Money, PriceTable, format_money, to_money

__all__ = [
    "FREE",
    "MAX_ROLE_ALLOWANCES",
    "AboveOperatorBudget",
    "AllowanceStore",
    "Budgets",
    "Money",
    "Period",
    "PriceTable",
    "Scope",
    "ServerBudget",
    "budgets_for",
    "effective_budgets",
    "format_money",
    "lower",
    "operator_budgets",
    "parse_amount",
    "to_money",
    "with_budget",
]
