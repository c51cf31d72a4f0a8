"""Bank side of kejin: tech-credit scorecard, monitoring, points-based lines, loss sharing.

Public surface:
- ``tech_features`` / ``financial_ratios`` — kejin's own features and the financial ratios from facts;
- ``fit_scorecard`` / ``score_frame`` / ``load_card`` / ``save_card`` / ``to_sql`` — the scorecard;
- ``monitor`` — PSI / CSI stability by period;
- ``load_line_policy`` / ``suggest_line`` — 积分贷 lines from a policy pack;
- ``load_sharing`` / ``split_losses`` / ``simulate`` — loss sharing, to the fen and over a portfolio.
"""

from kejin.credit.card import load_card, save_card
from kejin.credit.export import to_sql
from kejin.credit.lines import load_line_policy, suggest_line
from kejin.credit.monitoring import monitor
from kejin.credit.portfolio import simulate
from kejin.credit.ratios import financial_ratios
from kejin.credit.scorecard import FitOptions, fit_scorecard, score_frame
from kejin.credit.sharing import load_sharing, split_losses
from kejin.credit.tech_features import tech_features

__all__ = [
    "FitOptions",
    "financial_ratios",
    "fit_scorecard",
    "load_card",
    "load_line_policy",
    "load_sharing",
    "monitor",
    "save_card",
    "score_frame",
    "simulate",
    "split_losses",
    "suggest_line",
    "tech_features",
    "to_sql",
]
