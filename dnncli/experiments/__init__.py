"""Experiments: each command's library function (train, compare, gradcheck, tune, lr_find)."""
