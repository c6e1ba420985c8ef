"""What jobs cost in money and how spend is bounded: the price table, the ledger's budgets, reports.

Knows nothing of Discord. Amounts are ``Money``: integer millionths of the operator's currency, so
sums are exact and the ledger stores them as plain integers.
"""

from bot.budget.alerts import BudgetAlert, BudgetAlerts
from bot.budget.budgets import Budgets, Period, Scope, lower, operator_budgets
from bot.budget.offers import Offer, Room, best_fit
from bot.budget.prices import Money, PriceTable, format_money, to_money

__all__ = [
    "BudgetAlert",
    "BudgetAlerts",
    "Budgets",
    "Money",
    "Offer",
    "Period",
    "PriceTable",
    "Room",
    "Scope",
    "best_fit",
    "format_money",
    "lower",
    "operator_budgets",
    "to_money",
]
