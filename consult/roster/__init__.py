"""The roster (花名册): a community's units and their owners of record, imported from a CSV file."""
