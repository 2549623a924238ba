"""JSON Schemas shipped with mockbank (read through mockbank.schemas)."""
