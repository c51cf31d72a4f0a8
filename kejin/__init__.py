"""kejin (科金) — tech-finance platform: public standards as rule packs, innovation points,
bank credit, guidance funds.

Data flows one way: facts → evaluations → records → financial decisions.
"""

__version__ = "0.1.0"
