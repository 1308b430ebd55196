from techsafe.cli import main

main()
