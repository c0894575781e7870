from dnncli.cli.main import main

main()
