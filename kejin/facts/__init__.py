"""Enterprise facts: the data norms, reference codes, readers and validation."""

from kejin.facts.schema import field, fields, norms, polars_schema
from kejin.facts.validate import check_facts, load_facts

__all__ = ["check_facts", "field", "fields", "load_facts", "norms", "polars_schema"]
