"""Tests of dnncli/engine/."""
