"""Route graphs and their evaluator (pure). See README.md in this folder."""
