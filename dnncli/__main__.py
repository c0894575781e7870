"""`python -m dnncli`: the same as the `dnn` command."""

from dnncli.cli.main import main

main()
