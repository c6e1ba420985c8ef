"""Tests of the repository around the code: README commands, scripts/, Docker files, packaging, contracts."""
