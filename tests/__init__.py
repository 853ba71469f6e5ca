"""Tests for kubecheck: one module per source module, fixtures over inline manifests, golden reports."""
