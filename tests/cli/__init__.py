"""Tests of dnncli/cli/."""
