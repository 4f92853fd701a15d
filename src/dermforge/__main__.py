from dermforge.cli import main

main()
