from rxsim.cli.main import main

main()
