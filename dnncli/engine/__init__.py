"""The NumPy engine: networks, activations, initializers, optimizers, schedules, training.

Imports nothing but NumPy, the standard library and the small shared modules
(`dnncli.registry`, `dnncli.errors`). It never prints, plots or writes files.
"""
