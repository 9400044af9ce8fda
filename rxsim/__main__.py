from rxsim.cli import main

main()
