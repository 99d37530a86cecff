"""``python -m rea`` runs the CLI."""

from rea.cli import main

main()
