"""Certification adapters: programs that speak the adapter protocol of ``mockbank certify``."""
