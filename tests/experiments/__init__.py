"""Tests of dnncli/experiments/."""
