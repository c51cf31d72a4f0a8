"""Pack files (versioned YAML rule data) and the expression compiler shared by every engine."""
