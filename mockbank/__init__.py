"""mockbank: a local emulator and contract-testing kit for the BankIntegration REST API."""

__version__ = "0.1.0"
