"""The certification suite: adapter protocol, hypothesis strategies and test plans."""
