"""Revision files; one per schema change, linear history."""
