"""Every table's columns, declared once: storage builds the DDL and the docs from them, the
Dagster assets their column schema, and `transforms.flatten` the extraction from the API JSON."""
