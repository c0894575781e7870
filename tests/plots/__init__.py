"""Tests of dnncli/plots/."""
