"""Test settings shared by the whole suite."""

from hypothesis import HealthCheck, settings

# Machines here are noisy: no per-example deadline; speed is measured by bench/, not by tests.
settings.register_profile("mockbank", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("mockbank")
